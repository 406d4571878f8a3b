//! ATTRIBUTION: the touches of each device, `dev#<device>` /
//! `touch#<ts>#<messageId>`, with `device`, `message_id`, `timestamp` and the
//! touch itself as JSON (`touch`, opaque to the store as in the port). The
//! `segment-feed` function reads new ones from the table's stream
//! ([`touch_from_item`]). The device's state, written with them, is
//! [`states`](super::states)'.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};

use super::keys::{self, Item, ItemBuilder, get_s};
use super::{CONCURRENT_REQUESTS, DynamoStore};
use sma_store::{DeviceChange, Json, StoreError, TouchRecord, TouchStore, Versioned};

pub(super) const TOUCH_PREFIX: &str = "touch#";

impl TouchStore for DynamoStore {
    async fn device_states(
        &self,
        devices: &[String],
    ) -> Result<Vec<Option<Versioned<Json>>>, StoreError> {
        self.states(devices).await
    }

    /// Changes of distinct devices are committed concurrently; a call that
    /// names a device twice is committed in order, as the second change may
    /// build on the first.
    async fn commit_devices(&self, changes: &[DeviceChange]) -> Result<Vec<bool>, StoreError> {
        let mut devices = HashSet::new();
        let distinct = changes.iter().all(|c| devices.insert(c.device.as_str()));
        let concurrency = if distinct { CONCURRENT_REQUESTS } else { 1 };
        let commits: Vec<_> = changes.iter().map(|c| self.commit_device(c)).collect();
        stream::iter(commits)
            .buffered(concurrency)
            .try_collect()
            .await
    }

    async fn device_touches(&self, device: &str) -> Result<Vec<TouchRecord>, StoreError> {
        self.touches_in(device, None).await
    }

    async fn device_touches_between(
        &self,
        device: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        self.touches_in(device, Some((from, to))).await
    }

    async fn touches_between(
        &self,
        ranges: &[(String, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<Vec<TouchRecord>>, StoreError> {
        let reads: Vec<_> = ranges
            .iter()
            .map(|(device, from, to)| self.touches_in(device, Some((*from, *to))))
            .collect();
        stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await
    }
}

impl DynamoStore {
    /// The touches of a device, all or those started in `[from, to)`, in time
    /// order. A range is read consistently: it is what a late event's
    /// derivation compares its touches with before it commits.
    async fn touches_in(
        &self,
        device: &str,
        range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(&self.tables().attribution)
            .expression_attribute_values(":pk", keys::s(keys::device_pk(device)));
        let query = match range {
            Some((from, to)) if from >= to => return Ok(Vec::new()),
            // `touch#<ts>#<messageId>` sorts after `touch#<ts>`: [from, to).
            Some((from, to)) => query
                .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                .expression_attribute_values(
                    ":lo",
                    keys::s(format!("{TOUCH_PREFIX}{}", keys::ts(from))),
                )
                .expression_attribute_values(
                    ":hi",
                    keys::s(format!("{TOUCH_PREFIX}{}", keys::ts(to))),
                )
                .consistent_read(true),
            None => query
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":prefix", keys::s(TOUCH_PREFIX)),
        };
        self.query_all(query)
            .await?
            .iter()
            .map(touch_from_item)
            .collect()
    }
}

/// A touch's sort key: its page's time and messageId.
fn touch_sk(touch: &TouchRecord) -> String {
    format!(
        "{TOUCH_PREFIX}{}",
        keys::at_id(touch.timestamp, &touch.message_id)
    )
}

/// The key of a touch of `device`.
pub(super) fn touch_key(device: &str, touch: &TouchRecord) -> Item {
    keys::key(keys::device_pk(device), touch_sk(touch))
}

/// The item of a touch of `device`.
pub(super) fn touch_item(device: &str, touch: &TouchRecord) -> Item {
    ItemBuilder::new(keys::device_pk(device), touch_sk(touch))
        .s("device", device)
        .s("message_id", &touch.message_id)
        .s("timestamp", keys::ts(touch.timestamp))
        .s("touch", touch.touch.as_str())
        .build()
}

/// Rebuilds a touch from its item: one read from the table, or the `NewImage` of
/// an ATTRIBUTION stream record converted to SDK attribute values.
pub fn touch_from_item(item: &HashMap<String, AttributeValue>) -> Result<TouchRecord, StoreError> {
    Ok(TouchRecord {
        device: get_s(item, "device")?.to_owned(),
        timestamp: keys::parse_ts(get_s(item, "timestamp")?)?,
        message_id: get_s(item, "message_id")?.to_owned(),
        touch: Json::stored(get_s(item, "touch")?.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_touch_item_rebuilds_its_touch() {
        let touch = TouchRecord {
            device: "a1".into(),
            timestamp: Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap(),
            message_id: "p1".into(),
            touch: serde_json::json!({"channel": "Organic Search", "n": 1.5}).into(),
        };
        let item = touch_item("a1", &touch);
        assert_eq!(
            keys::opt_s(&item, "sk"),
            Some("touch#2024-03-01T09:00:00.000Z#p1")
        );
        assert_eq!(touch_from_item(&item).unwrap(), touch);
    }
}
