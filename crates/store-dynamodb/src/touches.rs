//! ATTRIBUTION: the touches of each device, `dev#<device>` /
//! `touch#<ts>#<messageId>`, with the touch itself as JSON (`touch`, opaque to
//! the store as in the port).
//!
//! Replacing a device's touches writes only what changed: touches are recomputed
//! from the whole history on every page, and most recomputations change nothing.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};

use super::DynamoStore;
use super::keys::{self, Item, ItemBuilder, get_s};
use sma_store::{Json, StoreError, TouchRecord, TouchStore};

const TOUCH_PREFIX: &str = "touch#";

impl TouchStore for DynamoStore {
    async fn device_states(
        &self,
        _devices: &[String],
    ) -> Result<Vec<Option<sma_store::Versioned<Json>>>, StoreError> {
        Err(StoreError::Backend("not implemented yet".into()))
    }

    async fn commit_devices(
        &self,
        _changes: &[sma_store::DeviceChange],
    ) -> Result<Vec<bool>, StoreError> {
        Err(StoreError::Backend("not implemented yet".into()))
    }

    async fn device_touches_between(
        &self,
        _device: &str,
        _from: chrono::DateTime<chrono::Utc>,
        _to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        Err(StoreError::Backend("not implemented yet".into()))
    }

    async fn device_touches(&self, device: &str) -> Result<Vec<TouchRecord>, StoreError> {
        self.touch_items(device, false)
            .await?
            .iter()
            .map(touch_from_item)
            .collect()
    }
}

impl DynamoStore {
    /// The touch items of a device, in time order.
    async fn touch_items(&self, device: &str, consistent: bool) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(&self.tables().attribution)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", keys::s(keys::device_pk(device)))
            .expression_attribute_values(":prefix", keys::s(TOUCH_PREFIX))
            .consistent_read(consistent);
        self.query_all(query).await
    }
}

fn touch_item(device: &str, touch: &TouchRecord) -> Item {
    let sk = format!(
        "{TOUCH_PREFIX}{}",
        keys::at_id(touch.timestamp, &touch.message_id)
    );
    ItemBuilder::new(keys::device_pk(device), sk)
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
