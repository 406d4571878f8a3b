//! Credit events: one `track` per credited touch of a conversion, carrying the
//! touch's source and every rule model's `credit_<model>` and
//! `value_<model>`, so that summing `value_<model>` by channel downstream gives
//! `/api/report?model=<model>`. When a conversion is credited anew, each event
//! of the credits it replaces goes again negated (`correction: true`) before
//! the new ones, which keeps those sums true.

use std::collections::{BTreeSet, HashSet};

use segment_client::Message;
use serde_json::{Map, Value, json};
use sma_attribution::{Conversion, Model};
use sma_store::{ConversionLedger, Owner, Store};

use super::FeedError;
use crate::journey::Loaded;
use crate::{App, CreditChange};

/// Whether an event adds its credits or takes back those of an earlier one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sign {
    Credit,
    Correction,
}

impl<S: Store> App<S> {
    /// The credit events of a journey's conversions (those `keep` keeps), as
    /// they stand.
    pub(super) async fn credit_messages(
        &self,
        loaded: &Loaded,
        keep: impl Fn(&Conversion) -> bool,
    ) -> Result<Vec<Message>, FeedError> {
        let ids: Vec<String> = loaded
            .journey
            .conversions
            .iter()
            .filter(|c| keep(c))
            .map(|c| c.message_id.clone())
            .collect();
        let mut messages = Vec::new();
        for ledger in self
            .store
            .conversion_ledgers(&ids)
            .await?
            .into_iter()
            .flatten()
        {
            messages.extend(self.credit_events(&ledger.value, Sign::Credit)?);
        }
        Ok(messages)
    }

    /// What real-time mode sends when conversions are credited anew: for
    /// each, the events of its old credits negated, then its new events.
    /// A device the store no longer holds (its user was erased) gets no
    /// correction: it would name the device again downstream.
    pub(crate) async fn credit_change_messages(
        &self,
        changes: &[CreditChange],
    ) -> Result<Vec<Message>, FeedError> {
        let old_devices: Vec<String> = changes
            .iter()
            .filter_map(|c| c.old.as_ref())
            .flat_map(|ledger| ledger.rows.iter().map(|r| r.device.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let states = self.store.device_states(&old_devices).await?;
        let erased: HashSet<&str> = old_devices
            .iter()
            .zip(&states)
            .filter(|(_, state)| state.is_none())
            .map(|(device, _)| device.as_str())
            .collect();
        let mut messages = Vec::new();
        for change in changes {
            if let Some(old) = &change.old {
                let corrections = self.credit_events(old, Sign::Correction)?;
                messages.extend(corrections.into_iter().filter(|m| {
                    !m.anonymous_id()
                        .is_some_and(|device| erased.contains(device))
                }));
            }
            messages.extend(self.credit_events(&change.new, Sign::Credit)?);
        }
        Ok(messages)
    }

    fn credit_events(
        &self,
        ledger: &ConversionLedger,
        sign: Sign,
    ) -> Result<Vec<Message>, FeedError> {
        // An account's conversion is sent for the device of each touch, with
        // the account it belongs to.
        let (user, account) = match &ledger.owner {
            Owner::User(user) => (Some(user.clone()), None),
            Owner::Device(_) => (None, None),
            Owner::Account(account) => (None, Some(account.clone())),
        };
        // The state the events stand for: a conversion credited again the same
        // way gives the same ids, credited differently gives new ones.
        let state = serde_json::to_string(ledger).expect("a ledger serialises");
        let factor = match sign {
            Sign::Credit => 1.0,
            Sign::Correction => -1.0,
        };
        let mut messages = Vec::with_capacity(ledger.rows.len());
        for (index, row) in ledger.rows.iter().enumerate() {
            let mut properties = Map::new();
            let mut put = |name: &str, value: Value| {
                properties.insert(name.to_owned(), value);
            };
            put("conversion_event", json!(ledger.event));
            put("conversion_message_id", json!(ledger.conversion));
            put("conversion_timestamp", json!(crate::iso(ledger.timestamp)));
            put("conversion_value", json!(ledger.value));
            put("channel", json!(row.channel));
            put("source", json!(row.source));
            put("medium", json!(row.medium));
            put("campaign", json!(row.campaign));
            put("term", json!(row.term));
            put("content", json!(row.content));
            put("landing_page", json!(row.landing_page));
            put("touch_timestamp", json!(crate::iso(row.timestamp)));
            put("touch_index", json!(index));
            put("touch_count", json!(ledger.rows.len()));
            put("correction", json!(sign == Sign::Correction));
            if let Some(account) = &account {
                put("account_id", json!(account));
            }
            for model in Model::ALL {
                let credit = row.credits.get(model.as_str()).copied().unwrap_or(0.0);
                // `+ 0.0` turns a negated zero into a plain one.
                put(
                    &format!("credit_{}", model.as_str()),
                    json!(factor * credit + 0.0),
                );
                put(
                    &format!("value_{}", model.as_str()),
                    json!(factor * credit * ledger.value + 0.0),
                );
            }
            let credit = Message::track(
                self.settings.feed.credit_event.as_str(),
                user.clone(),
                Some(row.device.clone()),
                properties,
                ledger.timestamp,
            )?
            .keyed_by(&[
                "credit",
                &ledger.conversion,
                &row.device,
                &row.touch,
                &state,
            ]);
            messages.push(match sign {
                Sign::Credit => credit,
                // Keyed by the event it takes back: one correction per event.
                Sign::Correction => {
                    let id = credit.message_id().to_owned();
                    credit.keyed_by(&["correction", &id])
                }
            });
        }
        Ok(messages)
    }
}
