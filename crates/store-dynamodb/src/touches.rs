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
use sma_store::{StoreError, TouchJson, TouchRecord, TouchStore};

const TOUCH_PREFIX: &str = "touch#";

impl TouchStore for DynamoStore {
    async fn replace_touches(
        &self,
        device: &str,
        touches: &[TouchRecord],
    ) -> Result<Vec<TouchRecord>, StoreError> {
        // Strongly consistent: "new" must be judged against the latest set.
        let stored: HashMap<String, Item> = self
            .touch_items(device, true)
            .await?
            .into_iter()
            .map(|item| Ok((get_s(&item, "sk")?.to_owned(), item)))
            .collect::<Result<_, StoreError>>()?;
        let before: HashSet<&str> = stored
            .values()
            .map(|item| get_s(item, "message_id"))
            .collect::<Result<_, _>>()?;
        // One touch per messageId, the last given winning, as in the embedded store.
        let mut wanted: HashMap<&str, Item> = HashMap::new();
        for touch in touches {
            wanted.insert(touch.message_id.as_str(), touch_item(device, touch));
        }
        let wanted: HashMap<String, Item> = wanted
            .into_values()
            .map(|item| Ok((get_s(&item, "sk")?.to_owned(), item)))
            .collect::<Result<_, StoreError>>()?;
        let mut writes = Vec::new();
        for (sk, item) in &wanted {
            if stored.get(sk) != Some(item) {
                let put = PutRequest::builder().set_item(Some(item.clone())).build();
                let put = put.map_err(|e| StoreError::Backend(e.to_string()))?;
                writes.push(WriteRequest::builder().put_request(put).build());
            }
        }
        for sk in stored.keys().filter(|sk| !wanted.contains_key(*sk)) {
            let key = keys::key(keys::device_pk(device), sk.as_str());
            let delete = DeleteRequest::builder().set_key(Some(key)).build();
            let delete = delete.map_err(|e| StoreError::Backend(e.to_string()))?;
            writes.push(WriteRequest::builder().delete_request(delete).build());
        }
        self.batch_write(&self.tables().attribution, writes).await?;
        Ok(touches
            .iter()
            .filter(|t| !before.contains(t.message_id.as_str()))
            .cloned()
            .collect())
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
        touch: TouchJson::stored(get_s(item, "touch")?.to_owned()),
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
