//! EVENTS index items: who was active when (for [`EventStore::owners`]), and
//! which events under devices carry a userId (for `user_events`).
//!
//! - activity: `act#<month>` / `<ts>#<messageId>`, with the message's
//!   `anonymous_id` and `user_id`: one small item per message, so that the owners
//!   active in `[from, to)` are a Query per month, exact to the millisecond.
//! - month registry: `act` / `months`, the string set of months that have activity,
//!   so an open range knows which month partitions exist.
//! - user reference: `usr#<userId>` / `ref#<ts>#<messageId>` for a message with
//!   both ids, pointing at its event item under `dev#<anonymousId>`.
//!
//! [`EventStore::owners`]: sma_store::EventStore::owners

use std::collections::{BTreeSet, HashMap};
use std::sync::PoisonError;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use sma_spec::Message;

use super::DynamoStore;
use super::events::owner_pk;
use super::keys::{self, ItemBuilder, get_s, opt_s};
use super::request::sdk_error;
use sma_store::{Owner, StoreError};

/// Sort-key prefix of user references.
pub(super) const REF_PREFIX: &str = "ref#";
const REGISTRY_PK: &str = "act";
const REGISTRY_SK: &str = "months";

fn activity_pk(month: &str) -> String {
    format!("act#{month}")
}

/// The index items of a message, as batch-write requests.
pub(super) fn index_items(
    message: &Message,
    expires_at: Option<DateTime<Utc>>,
) -> Vec<Result<WriteRequest, StoreError>> {
    let sk = keys::at_id(message.timestamp, &message.message_id);
    let mut items = vec![Ok(ItemBuilder::new(
        activity_pk(&keys::month(message.timestamp)),
        &sk,
    )
    .opt_s("anonymous_id", message.anonymous_id.as_deref())
    .opt_s("user_id", message.user_id.as_deref())
    .opt_epoch("expires_at", expires_at)
    .build())];
    if let (Some(anonymous_id), Some(user_id)) = (&message.anonymous_id, &message.user_id) {
        items.push(owner_pk(message).map(|event_pk| {
            ItemBuilder::new(keys::user_events_pk(user_id), format!("{REF_PREFIX}{sk}"))
                .s("event_pk", event_pk)
                .s("event_sk", &sk)
                .s("anonymous_id", anonymous_id)
                .opt_epoch("expires_at", expires_at)
                .build()
        }));
    }
    items
        .into_iter()
        .map(|item| {
            let put = PutRequest::builder()
                .set_item(Some(item?))
                .build()
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            Ok(WriteRequest::builder().put_request(put).build())
        })
        .collect()
}

impl DynamoStore {
    /// Adds `months` to the registry, once per month and process.
    pub(super) async fn register_months(
        &self,
        months: impl Iterator<Item = String>,
    ) -> Result<(), StoreError> {
        let new: BTreeSet<String> = {
            let known = self
                .inner
                .registered_months
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            months.filter(|m| !known.contains(m)).collect()
        };
        if new.is_empty() {
            return Ok(());
        }
        self.client()
            .update_item()
            .table_name(&self.tables().events)
            .set_key(Some(keys::key(REGISTRY_PK, REGISTRY_SK)))
            .update_expression("ADD #months :new")
            .expression_attribute_names("#months", "months")
            .expression_attribute_values(":new", AttributeValue::Ss(new.iter().cloned().collect()))
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        self.inner
            .registered_months
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(new);
        Ok(())
    }

    /// Devices and users with a message in `[from, to)`, sorted.
    pub(super) async fn active_owners(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Owner>, StoreError> {
        let (lo, hi) = (from.map(keys::ts), to.map(keys::ts));
        if let (Some(lo), Some(hi)) = (&lo, &hi)
            && lo >= hi
        {
            return Ok(Vec::new());
        }
        let (first, last) = (from.map(keys::month), to.map(keys::month));
        let months = self.registered_months().await?;
        let months = months.iter().filter(|m| {
            first.as_ref().is_none_or(|f| *m >= f) && last.as_ref().is_none_or(|l| *m <= l)
        });
        let mut owners = BTreeSet::new();
        for month in months {
            // `<ts>#<messageId>` >= `<from>` and < `<to>`: [from, to) to the millisecond.
            let (condition, values) = match (&lo, &hi) {
                (Some(lo), Some(hi)) => (
                    "pk = :pk AND sk BETWEEN :lo AND :hi",
                    vec![(":lo", lo), (":hi", hi)],
                ),
                (Some(lo), None) => ("pk = :pk AND sk >= :lo", vec![(":lo", lo)]),
                (None, Some(hi)) => ("pk = :pk AND sk < :hi", vec![(":hi", hi)]),
                (None, None) => ("pk = :pk", vec![]),
            };
            let mut query = self
                .client()
                .query()
                .table_name(&self.tables().events)
                .key_condition_expression(condition)
                .projection_expression("#a, #u")
                .expression_attribute_names("#a", "anonymous_id")
                .expression_attribute_names("#u", "user_id")
                .expression_attribute_values(":pk", keys::s(activity_pk(month)));
            for (name, value) in values {
                query = query.expression_attribute_values(name, keys::s(value.as_str()));
            }
            for item in self.query_all(query).await? {
                if let Some(a) = opt_s(&item, "anonymous_id") {
                    owners.insert(Owner::Device(a.to_owned()));
                }
                if let Some(u) = opt_s(&item, "user_id") {
                    owners.insert(Owner::User(u.to_owned()));
                }
            }
        }
        Ok(owners.into_iter().collect())
    }

    /// The months that have activity, in order.
    async fn registered_months(&self) -> Result<BTreeSet<String>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.tables().events)
            .set_key(Some(keys::key(REGISTRY_PK, REGISTRY_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        let item: HashMap<String, AttributeValue> = out.item.unwrap_or_default();
        match item.get(REGISTRY_SK) {
            None => Ok(BTreeSet::new()),
            Some(AttributeValue::Ss(months)) => Ok(months.iter().cloned().collect()),
            Some(_) => Err(StoreError::Corrupt(format!(
                "{} of {}: not a string set",
                REGISTRY_SK,
                get_s(&item, "pk").unwrap_or(REGISTRY_PK)
            ))),
        }
    }
}
