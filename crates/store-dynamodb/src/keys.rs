//! Key and attribute conventions shared by the three tables: how instants, owners
//! and ids become key strings, and how item attributes are written and read.

use std::collections::HashMap;

use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use sma_store::{Owner, StoreError};

/// One DynamoDB item.
pub(super) type Item = HashMap<String, AttributeValue>;

/// An instant as a sort-key component: UTC RFC 3339 with exactly three fraction
/// digits and `Z` (`YYYY-MM-DDTHH:MM:SS.mmmZ`), so string order is time order.
/// Millisecond precision is what the embedded store keeps too.
pub(super) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stable hash of a key (FNV-1a: the same in every process and release), to
/// spread items over shards and buckets.
pub(super) fn spread(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A day as a key component: `YYYY-MM-DD`, so string order is day order.
pub(super) fn day(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub(super) fn parse_day(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("stored day {text:?}: {e}")))
}

pub(super) fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("stored instant {text:?}: {e}")))
}

/// `<ts>#<id>`: time order, ties broken by id as the embedded store does.
pub(super) fn at_id(at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", ts(at))
}

/// The partition of a device's events and touches.
pub(super) fn device_pk(anonymous_id: &str) -> String {
    format!("dev#{anonymous_id}")
}

/// The partition of the events of a user that have no anonymousId, and of the
/// references to that user's events stored under devices.
pub(super) fn user_events_pk(user_id: &str) -> String {
    format!("usr#{user_id}")
}

/// The owner whose partition `pk` is in EVENTS or ATTRIBUTION: the inverse of
/// [`owner_pk`], for an item known only by its key.
pub fn owner_of_partition(pk: &str) -> Option<Owner> {
    if let Some(device) = pk.strip_prefix("dev#") {
        return Some(Owner::Device(device.to_owned()));
    }
    if let Some(account) = pk.strip_prefix("acct#") {
        return Some(Owner::Account(account.to_owned()));
    }
    pk.strip_prefix("usr#")
        .map(|user| Owner::User(user.to_owned()))
}

/// The partition of an owner in EVENTS and ATTRIBUTION (an account owns no
/// event: only its conversions' markers and ledger are under it).
pub(super) fn owner_pk(owner: &Owner) -> String {
    match owner {
        Owner::Device(a) => device_pk(a),
        Owner::User(u) => user_events_pk(u),
        Owner::Account(g) => format!("acct#{g}"),
    }
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// An integer as a number attribute.
pub(super) fn n(value: impl Into<i128>) -> AttributeValue {
    AttributeValue::N(value.into().to_string())
}

/// A key (`pk`, `sk`) as an item or a `Key` map.
pub(super) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// Item builder: optional attributes are left out, never written as NULL or "".
pub(super) struct ItemBuilder(Item);

impl ItemBuilder {
    pub(super) fn new(pk: impl Into<String>, sk: impl Into<String>) -> ItemBuilder {
        ItemBuilder(key(pk, sk))
    }

    /// An item at `key` (a [`key`] map).
    pub(super) fn at(key: Item) -> ItemBuilder {
        ItemBuilder(key)
    }

    pub(super) fn s(mut self, name: &str, value: impl Into<String>) -> ItemBuilder {
        self.0.insert(name.to_owned(), s(value));
        self
    }

    pub(super) fn opt_s(self, name: &str, value: Option<&str>) -> ItemBuilder {
        match value {
            Some(v) => self.s(name, v),
            None => self,
        }
    }

    /// A number attribute (a version or a count).
    pub(super) fn n(mut self, name: &str, value: u64) -> ItemBuilder {
        self.0.insert(name.to_owned(), n(value));
        self
    }

    pub(super) fn bool(mut self, name: &str, value: bool) -> ItemBuilder {
        self.0.insert(name.to_owned(), AttributeValue::Bool(value));
        self
    }

    /// Epoch seconds (the TTL attribute), when given.
    pub(super) fn opt_epoch(mut self, name: &str, at: Option<DateTime<Utc>>) -> ItemBuilder {
        if let Some(at) = at {
            self.0.insert(
                name.to_owned(),
                AttributeValue::N(at.timestamp().to_string()),
            );
        }
        self
    }

    pub(super) fn build(self) -> Item {
        self.0
    }
}

/// A string attribute that must be there.
pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    opt_s(item, name).ok_or_else(|| {
        let key = opt_s(item, "pk").unwrap_or("?");
        StoreError::Corrupt(format!("item {key:?} has no string attribute `{name}`"))
    })
}

/// A string attribute that may be missing.
pub(super) fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// A number attribute that must be there, parsed as `T`.
pub(super) fn get_n<T: FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    let key = || opt_s(item, "pk").unwrap_or("?").to_owned();
    match item.get(name) {
        Some(AttributeValue::N(text)) => text.parse().map_err(|_| {
            StoreError::Corrupt(format!("item {:?}: `{name}` = {text} out of range", key()))
        }),
        _ => Err(StoreError::Corrupt(format!(
            "item {:?} has no number attribute `{name}`",
            key()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_sort_as_strings_in_time_order() {
        let a = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap();
        let b = a + chrono::Duration::milliseconds(1);
        let c = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(ts(a), "2024-03-01T09:00:00.000Z");
        assert!(ts(a) < ts(b) && ts(b) < ts(c));
        assert_eq!(parse_ts(&ts(b)).unwrap(), b);
        assert_eq!(day(c.date_naive()), "2024-12-31");
        assert_eq!(parse_day("2024-12-31").unwrap(), c.date_naive());
        // Sub-millisecond digits are dropped, as in the embedded store.
        let fine = a + chrono::Duration::microseconds(1500);
        assert_eq!(ts(fine), "2024-03-01T09:00:00.001Z");
    }

    #[test]
    fn optional_attributes_are_left_out() {
        let item = ItemBuilder::new("p", "s")
            .opt_s("a", None)
            .opt_s("b", Some("x"))
            .opt_epoch("t", None)
            .build();
        assert_eq!(item.len(), 3);
        assert_eq!(opt_s(&item, "b"), Some("x"));
        assert!(get_s(&item, "a").is_err());
    }
}
