//! Page views that start no touch because a bot sent them or a spam referrer
//! brought them: counted per day and reason as they are stored, so a report
//! can say how much traffic it left out.

use std::collections::BTreeMap;

use sma_spec::Message;
use sma_store::{ScreenedTotal, Store, StoreError};

use crate::App;

impl<S: Store> App<S> {
    /// Counts the screened page views among `messages`, each of which is
    /// stored for the first time.
    pub(crate) async fn count_screened<'a>(
        &self,
        messages: impl IntoIterator<Item = &'a Message>,
    ) -> Result<(), StoreError> {
        let mut counts: BTreeMap<(chrono::NaiveDate, String), i64> = BTreeMap::new();
        for m in messages.into_iter().filter(|m| m.message_type.is_view()) {
            if let Some(reason) = self.rules.screened(m) {
                *counts
                    .entry((m.timestamp.date_naive(), reason.label()))
                    .or_default() += 1;
            }
        }
        if counts.is_empty() {
            return Ok(());
        }
        let counts: Vec<ScreenedTotal> = counts
            .into_iter()
            .map(|((day, reason), views)| ScreenedTotal { day, reason, views })
            .collect();
        self.store.add_screened(&counts).await
    }

    /// The screened page views of `[from, to)` (UTC days), per reason.
    pub(crate) async fn screened_views(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut views = BTreeMap::new();
        for total in self.store.screened_totals(from, to).await? {
            *views.entry(total.reason).or_default() += total.views;
        }
        Ok(views)
    }
}
