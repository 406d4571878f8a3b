//! ATTRIBUTION: each device's derivation state and how a [`DeviceChange`]
//! moves it, together with the device's touches.
//!
//! Items under `dev#<device>`:
//! - state: `state`, with `version` (number) and `state` (the JSON text).
//!
//! A change names the touches it removes as read, with their time, so their
//! keys are known without a read. (Earlier versions also wrote a locator
//! `tref#<messageId>` per touch; nothing reads those any more, and erasing the
//! device removes them with the rest of its partition.)
//!
//! A change is one TransactWriteItems: the state put on condition that it is
//! still at the version read, with the touch puts and deletes. A change with no
//! touch to write is a single conditional PutItem.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::TransactWriteItem;
use sma_store::{DeviceChange, Json, StoreError, TouchRecord, Versioned};

use super::DynamoStore;
use super::keys::{self, Item, ItemBuilder, get_n, get_s};
use super::request::TransactError;
use super::touches::{touch_item, touch_key};
use super::write::{self, Condition, VERSION};

const STATE_SK: &str = "state";
/// Items one TransactWriteItems may hold.
pub(super) const TRANSACTION_LIMIT: usize = 100;

fn state_key(device: &str) -> Item {
    keys::key(keys::device_pk(device), STATE_SK)
}

fn state_from_item(item: &Item) -> Result<Versioned<Json>, StoreError> {
    Ok(Versioned {
        version: get_n(item, VERSION)?,
        value: Json::stored(get_s(item, "state")?.to_owned()),
    })
}

impl DynamoStore {
    /// The state of each device, in the order asked: one consistent
    /// BatchGetItem (per 100 devices).
    pub(super) async fn states(
        &self,
        devices: &[String],
    ) -> Result<Vec<Option<Versioned<Json>>>, StoreError> {
        let keys = devices.iter().map(|d| state_key(d));
        let found = self
            .batch_get(&self.tables().attribution, keys, true)
            .await?;
        devices
            .iter()
            .map(|d| {
                let key = (keys::device_pk(d), STATE_SK.to_owned());
                found.get(&key).map(state_from_item).transpose()
            })
            .collect()
    }

    /// Applies one change if the device's state is still at the version it
    /// names; answers whether it did.
    ///
    /// A change of more than [`TRANSACTION_LIMIT`] items cannot be one
    /// transaction: its touch writes go first, in transactions that each
    /// check the state is still at the version read, and the state is put in
    /// the last one. A writer that loses the race in between leaves the
    /// touches it wrote before (puts of its derivation, keyed by page, which
    /// the winner's own writes override where they differ); the state is never
    /// written over a version it did not read.
    pub(super) async fn commit_device(&self, change: &DeviceChange) -> Result<bool, StoreError> {
        let table = &self.tables().attribution;
        let condition = Condition::version(change.expected);
        let state = ItemBuilder::new(keys::device_pk(&change.device), STATE_SK)
            .n(VERSION, change.expected.unwrap_or(0) + 1)
            .s("state", change.state.as_str())
            .build();
        let mut writes = touch_writes(table, change)?;
        if writes.is_empty() {
            return self.put_if(table, state, &condition).await;
        }
        let per_transaction = TRANSACTION_LIMIT - 1;
        let last = writes.split_off((writes.len() - 1) / per_transaction * per_transaction);
        let mut transactions = Vec::new();
        for chunk in writes.chunks(per_transaction) {
            let mut items = chunk.to_vec();
            items.push(write::check(table, state_key(&change.device), &condition)?);
            transactions.push(items);
        }
        let mut items = last;
        items.push(write::put(table, state, Some(&condition))?);
        transactions.push(items);
        for items in transactions {
            match self.transact(items).await {
                Ok(()) => {}
                // Only the state has a condition: another writer moved it.
                Err(TransactError::Condition) => return Ok(false),
                Err(TransactError::Store(e)) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// The writes that move a device's touches: each touch put, each stored touch
/// removed deleted. A page put and removed in one change is put (one
/// transaction writes an item once).
fn touch_writes(table: &str, change: &DeviceChange) -> Result<Vec<TransactWriteItem>, StoreError> {
    let device = &change.device;
    let puts: BTreeMap<&str, &TouchRecord> = change
        .put
        .iter()
        .map(|t| (t.message_id.as_str(), t))
        .collect();
    let removed: BTreeMap<&str, &TouchRecord> = change
        .remove
        .iter()
        .map(|t| (t.message_id.as_str(), t))
        .filter(|(id, _)| !puts.contains_key(id))
        .collect();
    let mut writes = Vec::with_capacity(puts.len() + removed.len());
    for touch in removed.values() {
        writes.push(write::delete(table, touch_key(device, touch), None)?);
    }
    for touch in puts.values() {
        writes.push(write::put(table, touch_item(device, touch), None)?);
    }
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_items_read_back_with_their_version() {
        let item = ItemBuilder::new("dev#a1", STATE_SK)
            .n(VERSION, 7)
            .s("state", "{\"last\":1}")
            .build();
        let state = state_from_item(&item).unwrap();
        assert_eq!(state.version, 7);
        assert_eq!(state.value.as_str(), "{\"last\":1}");
        assert!(state_from_item(&state_key("a1")).is_err());
    }
}
