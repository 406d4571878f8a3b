//! EVENTS index items: who was active on which day (for [`EventStore::owners`]),
//! and which events under devices carry a userId (for `user_events`).
//!
//! - activity: `act#<YYYY-MM-DD>#<shard>` / `dev#<anonymousId>` or
//!   `usr#<userId>`, with `anonymous_id` or `user_id`: the owner had a message
//!   that day. The shard (0..16, by a
//!   hash of the owner) spreads a day's writes over sixteen partitions; each
//!   process writes an owner's item at most once a day ([`Indexed`]).
//! - day registry: `act` / `days`, the string set of days that have activity,
//!   so an open range knows which day partitions exist.
//! - user reference: `usr#<userId>` / `ref#<ts>#<messageId>` for a message with
//!   both ids, pointing at its event item under `dev#<anonymousId>`.
//!
//! A range that starts or ends within a day is exact to the millisecond: the
//! owners of such a day are kept only if their own partition has a message in
//! the part of the day asked (one `Limit 1` Query each).
//!
//! [`EventStore::owners`]: sma_store::EventStore::owners

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::PoisonError;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Days, NaiveDate, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use sma_spec::Message;

use super::events::owner_pk;
use super::keys::{self, Item, ItemBuilder, opt_s};
use super::request::sdk_error;
use super::write::put_request;
use super::{CONCURRENT_REQUESTS, DynamoStore};
use sma_store::{Owner, StoreError};

/// Sort-key prefix of user references.
pub(super) const REF_PREFIX: &str = "ref#";
const REGISTRY_PK: &str = "act";
const REGISTRY_SK: &str = "days";
/// Partitions a day's activity is spread over.
const SHARDS: u64 = 16;
/// Index items outlive the events they index by this much: an owner's item
/// is written again at most a day after an event of it (see [`Indexed`]).
const TTL_MARGIN: chrono::Duration = chrono::Duration::days(1);
/// A part of one day, `[lo, hi)`.
type Window = (DateTime<Utc>, DateTime<Utc>);
/// Entries [`Indexed`] keeps before it starts afresh, bounding its memory.
const INDEXED_CAPACITY: usize = 100_000;

/// What this process has written to the index today: registered days and
/// (day, owner) activity items, so an active owner costs one index write per
/// day and process instead of one per event. Forgotten when the date changes,
/// so that index items are rewritten, and their expiry moved, at least daily.
#[derive(Debug, Default)]
pub(super) struct Indexed {
    on: Option<NaiveDate>,
    written: HashSet<String>,
}

impl Indexed {
    /// Whether `entry` is still to be written today.
    fn missing(&mut self, today: NaiveDate, entry: &str) -> bool {
        if self.on != Some(today) || self.written.len() > INDEXED_CAPACITY {
            *self = Indexed {
                on: Some(today),
                written: HashSet::new(),
            };
        }
        !self.written.contains(entry)
    }
}

fn activity_pk(day: &str, owner_key: &str) -> String {
    format!("act#{day}#{}", shard(owner_key))
}

fn shard(owner_key: &str) -> u64 {
    keys::spread(owner_key) % SHARDS
}

/// The owners a message counts as active: its device and its user.
fn owners_of(message: &Message) -> impl Iterator<Item = Owner> + '_ {
    let device = message.anonymous_id.clone().map(Owner::Device);
    let user = message.user_id.clone().map(Owner::User);
    device.into_iter().chain(user)
}

/// The key of `owner`'s activity item of `day` (`YYYY-MM-DD`).
pub(super) fn activity_key(day: &str, owner: &Owner) -> Item {
    let owner_pk = keys::owner_pk(owner);
    keys::key(activity_pk(day, &owner_pk), owner_pk)
}

fn activity_item(day: &str, owner: &Owner, expires_at: Option<DateTime<Utc>>) -> Item {
    // Only messages' owners are active, and no message is an account's.
    let (device, user) = match owner {
        Owner::Device(a) => (Some(a.as_str()), None),
        Owner::User(u) => (None, Some(u.as_str())),
        Owner::Account(_) => (None, None),
    };
    ItemBuilder::at(activity_key(day, owner))
        .opt_s("anonymous_id", device)
        .opt_s("user_id", user)
        .opt_epoch("expires_at", expires_at)
        .build()
}

fn owner_from_item(item: &Item) -> Result<Owner, StoreError> {
    match (opt_s(item, "anonymous_id"), opt_s(item, "user_id")) {
        (Some(a), _) => Ok(Owner::Device(a.to_owned())),
        (None, Some(u)) => Ok(Owner::User(u.to_owned())),
        (None, None) => Err(StoreError::Corrupt(format!(
            "activity item {:?} names no owner",
            opt_s(item, "sk")
        ))),
    }
}

/// The user reference of a message with both ids.
fn reference(
    message: &Message,
    expires_at: Option<DateTime<Utc>>,
) -> Option<Result<Item, StoreError>> {
    let (anonymous_id, user_id) = (message.anonymous_id.as_ref()?, message.user_id.as_ref()?);
    let sk = keys::at_id(message.timestamp, &message.message_id);
    Some(owner_pk(message).map(|event_pk| {
        ItemBuilder::new(keys::user_events_pk(user_id), format!("{REF_PREFIX}{sk}"))
            .s("event_pk", event_pk)
            .s("event_sk", &sk)
            .s("anonymous_id", anonymous_id)
            .opt_epoch("expires_at", expires_at)
            .build()
    }))
}

impl DynamoStore {
    /// Writes the index items of `messages`: the activity of each (day, owner)
    /// and the days not written by this process today, and every user reference.
    /// Keys are deterministic, so writing again what a failed call wrote is
    /// harmless.
    pub(super) async fn index(
        &self,
        messages: &[&Message],
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut days = BTreeSet::new();
        // "<day>|<owner pk>" -> (day, owner)
        let mut activity = BTreeMap::new();
        for m in messages {
            let day = keys::day(m.timestamp.date_naive());
            for owner in owners_of(m) {
                let entry = format!("{day}|{}", keys::owner_pk(&owner));
                activity.insert(entry, (day.clone(), owner));
            }
            days.insert(day);
        }
        {
            let mut indexed = self
                .inner
                .indexed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let today = Utc::now().date_naive();
            days.retain(|d| indexed.missing(today, d));
            activity.retain(|entry, _| indexed.missing(today, entry));
        }
        // The registry first: a day's items are never there without the day.
        self.register_days(&days).await?;
        let expires_at = expires_at.map(|at| at + TTL_MARGIN);
        let mut requests = Vec::new();
        for (day, owner) in activity.values() {
            requests.push(put_request(activity_item(day, owner, expires_at))?);
        }
        for item in messages.iter().filter_map(|m| reference(m, expires_at)) {
            requests.push(put_request(item?)?);
        }
        self.batch_write(&self.tables().events, requests).await?;
        self.inner
            .indexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .written
            .extend(days.into_iter().chain(activity.into_keys()));
        Ok(())
    }

    /// Forgets that this process wrote activity items of `owners`, which an
    /// erasure deleted: their next message here writes them again.
    pub(super) fn forget_activity(&self, owners: &[Owner]) {
        let pks: HashSet<String> = owners.iter().map(keys::owner_pk).collect();
        self.inner
            .indexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .written
            .retain(|entry| {
                entry
                    .split_once('|')
                    .is_none_or(|(_, pk)| !pks.contains(pk))
            });
    }

    async fn register_days(&self, days: &BTreeSet<String>) -> Result<(), StoreError> {
        if days.is_empty() {
            return Ok(());
        }
        let out = self
            .client()
            .update_item()
            .table_name(&self.tables().events)
            .set_key(Some(keys::key(REGISTRY_PK, REGISTRY_SK)))
            .update_expression("ADD #days :new")
            .expression_attribute_names("#days", REGISTRY_SK)
            .expression_attribute_values(":new", AttributeValue::Ss(days.iter().cloned().collect()))
            .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        self.charge(out.consumed_capacity());
        Ok(())
    }

    /// Devices and users with a message in `[from, to)`, sorted.
    pub(super) async fn active_owners(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Owner>, StoreError> {
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Ok(Vec::new());
        }
        let first = from.map(|t| t.date_naive());
        let last = to.map(|t| (t - chrono::Duration::milliseconds(1)).date_naive());
        let days: Vec<NaiveDate> = self
            .registered_days()
            .await?
            .into_iter()
            .filter(|d| first.is_none_or(|f| *d >= f) && last.is_none_or(|l| *d <= l))
            .collect();
        let reads: Vec<_> = days
            .iter()
            .flat_map(|day| (0..SHARDS).map(move |shard| (*day, shard)))
            .map(|(day, shard)| self.day_owners(day, shard))
            .collect();
        let found: Vec<(NaiveDate, Vec<Owner>)> = stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        let mut owners = BTreeSet::new();
        let mut edges: HashMap<Owner, Vec<Window>> = HashMap::new();
        for (day, day_owners) in found {
            let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
            let end = start + Days::new(1);
            let lo = from.map_or(start, |f| f.max(start));
            let hi = to.map_or(end, |t| t.min(end));
            if (lo, hi) == (start, end) {
                owners.extend(day_owners);
            } else {
                for owner in day_owners {
                    edges.entry(owner).or_default().push((lo, hi));
                }
            }
        }
        // Owners seen only on a day the range cuts: active in the part asked?
        edges.retain(|owner, _| !owners.contains(owner));
        let checks: Vec<_> = edges
            .iter()
            .flat_map(|(owner, windows)| windows.iter().map(move |w| (owner, *w)))
            .map(|(owner, (lo, hi))| self.active_between(owner, lo, hi))
            .collect();
        let active: Vec<Option<Owner>> = stream::iter(checks)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        owners.extend(active.into_iter().flatten());
        Ok(owners.into_iter().collect())
    }

    /// The owners of one shard of one day's activity.
    async fn day_owners(
        &self,
        day: NaiveDate,
        shard: u64,
    ) -> Result<(NaiveDate, Vec<Owner>), StoreError> {
        let pk = format!("act#{}#{shard}", keys::day(day));
        let query = self
            .client()
            .query()
            .table_name(&self.tables().events)
            .key_condition_expression("pk = :pk")
            .projection_expression("anonymous_id, user_id")
            .expression_attribute_values(":pk", keys::s(pk));
        let owners = self
            .query_all(query)
            .await?
            .iter()
            .map(owner_from_item)
            .collect::<Result<_, _>>()?;
        Ok((day, owners))
    }

    /// `owner` when its partition has a message in `[lo, hi)`: an event of its
    /// own, or (a user) a reference to one under a device.
    async fn active_between(
        &self,
        owner: &Owner,
        lo: DateTime<Utc>,
        hi: DateTime<Utc>,
    ) -> Result<Option<Owner>, StoreError> {
        let pk = keys::owner_pk(owner);
        let (lo, hi) = (keys::ts(lo), keys::ts(hi));
        let mut ranges = vec![(lo.clone(), hi.clone())];
        if let Owner::User(_) = owner {
            ranges.push((format!("{REF_PREFIX}{lo}"), format!("{REF_PREFIX}{hi}")));
        }
        for (lo, hi) in ranges {
            // `<ts>#<messageId>` sorts after `<ts>`: BETWEEN is [lo, hi) here.
            let out = self
                .client()
                .query()
                .table_name(&self.tables().events)
                .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                .expression_attribute_values(":pk", keys::s(&pk))
                .expression_attribute_values(":lo", keys::s(lo))
                .expression_attribute_values(":hi", keys::s(hi))
                .projection_expression("pk")
                .limit(1)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            if out.count > 0 {
                return Ok(Some(owner.clone()));
            }
        }
        Ok(None)
    }

    /// The days that have activity, in order.
    async fn registered_days(&self) -> Result<BTreeSet<NaiveDate>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.tables().events)
            .set_key(Some(keys::key(REGISTRY_PK, REGISTRY_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        match out.item.unwrap_or_default().get(REGISTRY_SK) {
            None => Ok(BTreeSet::new()),
            Some(AttributeValue::Ss(days)) => days.iter().map(|d| keys::parse_day(d)).collect(),
            Some(_) => Err(StoreError::Corrupt(format!(
                "{REGISTRY_PK}/{REGISTRY_SK}: not a string set"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_spread() {
        assert_eq!(shard("dev#a1"), shard("dev#a1"));
        let used: HashSet<u64> = (0..200).map(|n| shard(&format!("dev#{n}"))).collect();
        assert_eq!(used.len() as u64, SHARDS);
        assert!(used.iter().all(|s| *s < SHARDS));
    }

    #[test]
    fn the_index_cache_forgets_on_a_new_day() {
        let day = |d| NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
        let mut indexed = Indexed::default();
        assert!(indexed.missing(day(1), "x"));
        indexed.written.insert("x".into());
        assert!(!indexed.missing(day(1), "x"));
        assert!(indexed.missing(day(2), "x"));
    }

    #[test]
    fn owners_read_back_from_their_items() {
        for owner in [Owner::Device("a#1".into()), Owner::User("u".into())] {
            let item = activity_item("2024-03-01", &owner, None);
            assert_eq!(owner_from_item(&item).unwrap(), owner);
        }
        assert!(owner_from_item(&keys::key("act#x#0", "x")).is_err());
    }
}
