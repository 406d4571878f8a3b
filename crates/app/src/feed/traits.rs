//! The conversion traits of `identify`: per model named in
//! `ANALYTICS_TRAIT_MODELS`, the channel credited the most value over the
//! user's conversions and the value credited in all; and the count, time,
//! days and touches of the first conversion. Read from the ledger, so they
//! are the credits the reports add up.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sma_store::{ConversionLedger, Store, StoreError};

use super::time;
use crate::App;
use crate::journey::Loaded;

const DAY_MS: f64 = 86_400_000.0;

/// A figure as traits carry it: rounded to a millionth, so sums of thirds
/// read as people expect.
fn rounded(x: f64) -> f64 {
    (x * 1e6).round() / 1e6 + 0.0
}

impl<S: Store> App<S> {
    pub(super) async fn conversion_traits(
        &self,
        loaded: &Loaded,
    ) -> Result<Map<String, Value>, StoreError> {
        let conversions = &loaded.journey.conversions;
        let mut traits = Map::new();
        traits.insert("source_conversion_count".into(), json!(conversions.len()));
        let ids: Vec<String> = conversions.iter().map(|c| c.message_id.clone()).collect();
        let ledgers: Vec<ConversionLedger> = self
            .store
            .conversion_ledgers(&ids)
            .await?
            .into_iter()
            .flatten()
            .map(|v| v.value)
            .collect();
        if let Some(first) = conversions
            .iter()
            .min_by_key(|c| (c.timestamp, &c.message_id))
        {
            traits.insert(
                "source_first_conversion_timestamp".into(),
                json!(crate::iso(time(first.timestamp))),
            );
            let ledger = ledgers.iter().find(|l| l.conversion == first.message_id);
            if let Some(first_touch) = ledger.and_then(|l| l.rows.first()) {
                let days = (first.timestamp - first_touch.timestamp.timestamp_millis()) as f64;
                traits.insert(
                    "source_days_to_first_conversion".into(),
                    json!(rounded(days / DAY_MS)),
                );
                let touches = ledger.map_or(0, |l| l.rows.len());
                traits.insert("source_touches_to_first_conversion".into(), json!(touches));
            }
        }
        for model in &self.settings.feed.trait_models.0 {
            let name = model.as_str();
            // channel -> (value, conversions) credited by the model.
            let mut by_channel: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
            for ledger in &ledgers {
                for row in &ledger.rows {
                    let credit = row.credits.get(name).copied().unwrap_or(0.0);
                    let sum = by_channel.entry(&row.channel).or_default();
                    sum.0 += credit * ledger.value;
                    sum.1 += credit;
                }
            }
            // The most value, then the most conversions; equal ones go to the
            // first channel by name, so the trait does not flicker.
            let top = by_channel
                .iter()
                .filter(|(_, (value, credit))| *value > 0.0 || *credit > 0.0)
                .max_by(|a, b| {
                    (a.1.0, a.1.1)
                        .partial_cmp(&(b.1.0, b.1.1))
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| b.0.cmp(a.0))
                });
            if let Some((channel, _)) = top {
                traits.insert(format!("source_{name}_top_channel"), json!(channel));
            }
            let value: f64 = by_channel.values().map(|(v, _)| v).sum();
            traits.insert(format!("source_{name}_value"), json!(rounded(value)));
        }
        Ok(traits)
    }
}
