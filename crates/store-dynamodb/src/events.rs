//! EVENTS: raw messages, stored once by messageId, read per owner.
//!
//! A message lives under its owner: `dev#<anonymousId>`, or `usr#<userId>` when it
//! has no anonymousId, at `<timestamp>#<messageId>`. Its key follows from the
//! message, so a redelivery (Segment retries a delivery as it was) meets the item
//! it wrote: one conditional put stores a message once, with no marker item and
//! no transaction (which would bill every item twice). A message that has both
//! ids is also referenced from `usr#<userId>`, so a user's events are found even
//! on a device that is not linked to them (see [`activity`](super::activity) for
//! the index items).

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use sma_spec::{Message, MessageType};

use super::activity::REF_PREFIX;
use super::keys::{self, Item, ItemBuilder, get_s, opt_s};
use super::request::{key_of, sdk_error};
use super::write::Condition;
use super::{CONCURRENT_REQUESTS, DynamoStore};
use sma_store::{EventStore, Owner, StoreError};

impl EventStore for DynamoStore {
    async fn put_events(&self, messages: &[Message]) -> Result<Vec<bool>, StoreError> {
        let now = Utc::now();
        let expires_at = self.inner.events_ttl.map(|ttl| now + ttl);
        // Of several copies of one messageId in a call, the first is the one stored.
        let mut seen = HashSet::new();
        let first: Vec<bool> = messages
            .iter()
            .map(|m| seen.insert(m.message_id.as_str()))
            .collect();
        let unique: Vec<&Message> = messages
            .iter()
            .zip(&first)
            .filter_map(|(m, &f)| f.then_some(m))
            .collect();
        let writes: Vec<_> = unique
            .iter()
            .map(|m| self.store_event(m, now, expires_at))
            .collect();
        let stored: Vec<bool> = stream::iter(writes)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        // Index items are written for duplicates too: their keys are deterministic,
        // and a delivery interrupted after its transaction is completed by the retry.
        self.index(&unique, expires_at).await?;
        let mut stored = stored.into_iter();
        Ok(first
            .into_iter()
            .map(|f| f && stored.next().unwrap_or(false))
            .collect())
    }

    /// One BatchGetItem of the event items, eventually consistent: a message
    /// stored a moment ago may read as unknown, which only means `put_events`
    /// is asked and finds it stored.
    async fn stored_under(&self, messages: &[Message]) -> Result<Vec<Option<Message>>, StoreError> {
        let keys: Vec<Item> = messages.iter().map(event_key).collect::<Result<_, _>>()?;
        let found = self
            .batch_get(&self.tables().events, keys.iter().cloned(), false)
            .await?;
        keys.iter()
            .map(|key| found.get(&key_of(key)?).map(message_from_item).transpose())
            .collect()
    }

    async fn device_events_between(
        &self,
        anonymous_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Message>, StoreError> {
        if from >= to {
            return Ok(Vec::new());
        }
        // Consistent: a late event re-reads the history just stored around it.
        // `<ts>#<messageId>` sorts after `<ts>`: BETWEEN is [from, to) here.
        let query = self
            .client()
            .query()
            .table_name(&self.tables().events)
            .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", keys::s(keys::device_pk(anonymous_id)))
            .expression_attribute_values(":lo", keys::s(keys::ts(from)))
            .expression_attribute_values(":hi", keys::s(keys::ts(to)))
            .consistent_read(true);
        self.query_all(query)
            .await?
            .iter()
            .filter(|item| opt_s(item, "sk").is_some_and(is_event_sk))
            .map(message_from_item)
            .collect()
    }

    async fn device_events(&self, anonymous_id: &str) -> Result<Vec<Message>, StoreError> {
        let items = self.owner_events(keys::device_pk(anonymous_id)).await?;
        items.iter().map(message_from_item).collect()
    }

    async fn user_events(
        &self,
        user_id: &str,
        devices: &[String],
    ) -> Result<Vec<Message>, StoreError> {
        let wanted: HashSet<&str> = devices.iter().map(String::as_str).collect();
        // The user's partition: events without an anonymousId, and references to
        // events with one. Those on the given devices are read with the devices.
        let mut items = Vec::new();
        let mut elsewhere = Vec::new();
        let pk = keys::user_events_pk(user_id);
        for item in self.partition(&self.tables().events, &pk, false).await? {
            let sk = get_s(&item, "sk")?;
            if sk.starts_with(REF_PREFIX) {
                if !wanted.contains(get_s(&item, "anonymous_id")?) {
                    let (pk, sk) = (get_s(&item, "event_pk")?, get_s(&item, "event_sk")?);
                    elsewhere.push(keys::key(pk, sk));
                }
            } else if is_event_sk(sk) {
                items.push(item);
            }
        }
        // Futures are made before they are streamed: a closure in the stream would
        // make the returned future's Send bound unprovable (rust-lang/rust#89976).
        let reads: Vec<_> = wanted
            .iter()
            .map(|d| self.owner_events(keys::device_pk(d)))
            .collect();
        let on_devices: Vec<Vec<Item>> = stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        let reads: Vec<_> = elsewhere
            .into_iter()
            .map(|key| self.get_event(key))
            .collect();
        let referenced: Vec<Option<Item>> = stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        let mut messages = items
            .iter()
            .chain(on_devices.iter().flatten())
            .chain(referenced.iter().flatten())
            .map(message_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        messages.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
        messages.dedup_by(|a, b| a.message_id == b.message_id);
        Ok(messages)
    }

    async fn owners(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Owner>, StoreError> {
        self.active_owners(from, to).await
    }
}

impl DynamoStore {
    /// One message's conditional put. Answers whether it was new.
    async fn store_event(
        &self,
        message: &Message,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let event = event_item(message, now, expires_at)?;
        self.put_if(&self.tables().events, event, &Condition::absent())
            .await
    }

    /// The event items of one owner, in time order.
    async fn owner_events(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        let mut items = self.partition(&self.tables().events, &pk, false).await?;
        items.retain(|item| opt_s(item, "sk").is_some_and(is_event_sk));
        Ok(items)
    }

    async fn get_event(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.tables().events)
            .set_key(Some(key))
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out.item)
    }
}

/// The key of a message's event item.
fn event_key(message: &Message) -> Result<Item, StoreError> {
    Ok(keys::key(
        owner_pk(message)?,
        keys::at_id(message.timestamp, &message.message_id),
    ))
}

/// Event sort keys are `<ts>#<messageId>` and begin with the year's digits; every
/// other kind of item under an owner begins with a letter.
pub(super) fn is_event_sk(sk: &str) -> bool {
    sk.starts_with(|c: char| c.is_ascii_digit())
}

/// The partition a message is stored under.
pub(super) fn owner_pk(message: &Message) -> Result<String, StoreError> {
    match (&message.anonymous_id, &message.user_id) {
        (Some(anonymous_id), _) => Ok(keys::device_pk(anonymous_id)),
        (None, Some(user_id)) => Ok(keys::user_events_pk(user_id)),
        (None, None) => Err(StoreError::Backend(format!(
            "message {} has neither anonymousId nor userId",
            message.message_id
        ))),
    }
}

/// The event item of a message. `type` and `has_both_ids` are what the stream
/// filters of `template.yaml` match; `type`, `timestamp` and `raw` are what
/// [`message_from_item`] rebuilds the message from.
fn event_item(
    message: &Message,
    received_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Item, StoreError> {
    Ok(ItemBuilder::new(
        owner_pk(message)?,
        keys::at_id(message.timestamp, &message.message_id),
    )
    .s("message_id", &message.message_id)
    .s("type", message.message_type.as_str())
    .s("timestamp", keys::ts(message.timestamp))
    .s("received_at", keys::ts(received_at))
    .opt_s("anonymous_id", message.anonymous_id.as_deref())
    .opt_s("user_id", message.user_id.as_deref())
    .opt_s("previous_id", message.previous_id.as_deref())
    .opt_s("event", message.event.as_deref())
    // What the identity-map consumer acts on: the message links a device.
    .bool("has_both_ids", message.identity_link().is_some())
    .s("raw", &message.raw)
    .opt_epoch("expires_at", expires_at)
    .build())
}

/// Rebuilds a message from an event item: one read from the table, or the
/// `NewImage` of an EVENTS stream record converted to SDK attribute values.
pub fn message_from_item(item: &HashMap<String, AttributeValue>) -> Result<Message, StoreError> {
    let type_name = get_s(item, "type")?;
    let message_type = MessageType::parse(type_name)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown message type {type_name:?}")))?;
    let timestamp = keys::parse_ts(get_s(item, "timestamp")?)?;
    Message::from_stored(get_s(item, "raw")?, message_type, timestamp)
        .map_err(|e| StoreError::Corrupt(format!("stored message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sma_spec::{Item as BodyItem, ParseOptions, parse_body};

    fn parse(body: &str) -> Message {
        let opts = ParseOptions {
            implied_type: None,
            received_at: Utc::now(),
        };
        match parse_body(body.as_bytes(), opts).unwrap().pop() {
            Some(BodyItem::Message(m)) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn an_event_item_rebuilds_its_message_and_carries_what_streams_filter_on() {
        let message = parse(
            r#"{"type":"identify","messageId":"m1","anonymousId":"a1","userId":"u1",
                "timestamp":"2024-03-01T09:30:00.123Z","traits":{"plan":"pro"}}"#,
        );
        let item = event_item(&message, Utc::now(), None).unwrap();
        assert_eq!(message_from_item(&item).unwrap(), message);
        assert_eq!(opt_s(&item, "pk"), Some("dev#a1"));
        assert_eq!(opt_s(&item, "sk"), Some("2024-03-01T09:30:00.123Z#m1"));
        assert_eq!(opt_s(&item, "type"), Some("identify"));
        assert_eq!(item.get("has_both_ids"), Some(&AttributeValue::Bool(true)));
        assert!(!item.contains_key("expires_at"));
    }

    #[test]
    fn a_message_without_anonymous_id_lives_under_its_user_and_links_nothing() {
        let message = parse(
            r#"{"type":"track","messageId":"t1","userId":"u1","event":"Signed Up",
                "timestamp":"2024-03-01T09:30:00Z"}"#,
        );
        let item = event_item(&message, Utc::now(), Some(Utc::now())).unwrap();
        assert_eq!(opt_s(&item, "pk"), Some("usr#u1"));
        assert_eq!(opt_s(&item, "event"), Some("Signed Up"));
        assert_eq!(item.get("has_both_ids"), Some(&AttributeValue::Bool(false)));
        assert!(matches!(item.get("expires_at"), Some(AttributeValue::N(_))));
    }

    #[test]
    fn a_damaged_item_is_corrupt_not_a_panic() {
        let mut item = keys::key("dev#a", "2024-03-01T09:30:00.000Z#m");
        assert!(matches!(
            message_from_item(&item),
            Err(StoreError::Corrupt(_))
        ));
        item.insert("type".into(), keys::s("nonsense"));
        item.insert("timestamp".into(), keys::s("2024-03-01T09:30:00.000Z"));
        item.insert("raw".into(), keys::s("{}"));
        assert!(matches!(
            message_from_item(&item),
            Err(StoreError::Corrupt(_))
        ));
    }
}
