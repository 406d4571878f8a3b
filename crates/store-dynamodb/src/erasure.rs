//! Erasing a user and their devices ([`ErasureStore`]), found by Query and
//! BatchGetItem on the partitions the key design has, never by Scan.
//!
//! - EVENTS: `usr#<user>` holds the user's events without a device and a
//!   reference to each of their events under a device; `dev#<device>` holds
//!   a device's events. An event under a device the erasure does not name is
//!   read through its reference. What else an event wrote follows from its
//!   contents: the reference under another user (a device's event carrying
//!   that user's id) and the activity items of its day. An activity item
//!   whose event expired already (TTL) is found only through a reference
//!   that outlived it, if any: no other key names its day, and listing every
//!   registered day instead would cost reads for the table's whole history.
//!   Such an item expires itself a day after its event.
//! - USER_MAP: `user#<user>` and `anon#<device>`; each claim found names its
//!   counterpart on the other side.
//! - ATTRIBUTION: everything under `usr#<user>` and `dev#<device>` (state,
//!   touches and the locators earlier versions wrote, markers, journey), and the conversions'
//!   `conv#<messageId>` entries, their credits inside. Totals stay: the
//!   application has taken the entries off them.
//!
//! Each erased event leaves a tombstone in EVENTS, `erased#<digest>` /
//! `erased` ([`erased_digest`]), with no other attribute: no id, and no
//! `expires_at`, as a retry or a replay of the message may come at any time.
//!
//! Writes go in waves: an item through which others are found is deleted
//! after them, so that an erasure cut short is finished by running it again.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use aws_sdk_dynamodb::types::WriteRequest;
use futures_util::{StreamExt, TryStreamExt, future, stream};
use sma_store::{Erased, Erasure, ErasureStore, Owner, StoreError, erased_digest};

use super::accounts::{member_pk, membership_keys};
use super::activity::{REF_PREFIX, activity_key};
use super::events::is_event_sk;
use super::identity::{self, held_by};
use super::keys::{self, Item, get_s, opt_s};
use super::ledger::{JOURNEY_SK, conversion_key};
use super::markers::MARKER_PREFIX;
use super::request::key_of;
use super::touches::TOUCH_PREFIX;
use super::write::{delete_request, put_request};
use super::{CONCURRENT_REQUESTS, DynamoStore};

/// No owner, index or registry partition of EVENTS begins so.
const TOMBSTONE_PREFIX: &str = "erased#";
const TOMBSTONE_SK: &str = "erased";

fn tombstone_key(message_id: &str) -> Item {
    keys::key(
        format!("{TOMBSTONE_PREFIX}{}", erased_digest(message_id)),
        TOMBSTONE_SK,
    )
}

/// The day (`YYYY-MM-DD`) of an event's sort key, `<ts>#<messageId>`.
fn day_of(event_sk: &str) -> Result<String, StoreError> {
    let ts = event_sk.split_once('#').map_or(event_sk, |(ts, _)| ts);
    Ok(keys::day(keys::parse_ts(ts)?.date_naive()))
}

/// One table's writes, in waves sent one after the other. A key listed in
/// several waves is written in the last of them.
struct Waves(Vec<BTreeMap<(String, String), WriteRequest>>);

impl Waves {
    fn new(count: usize) -> Waves {
        Waves((0..count).map(|_| BTreeMap::new()).collect())
    }

    /// Deletes the item at the key of `item`.
    fn delete(&mut self, wave: usize, item: &Item) -> Result<(), StoreError> {
        let (pk, sk) = key_of(item)?;
        let request = delete_request(keys::key(pk.as_str(), sk.as_str()))?;
        self.0[wave].insert((pk, sk), request);
        Ok(())
    }

    fn put(&mut self, wave: usize, item: Item) -> Result<(), StoreError> {
        let key = key_of(&item)?;
        self.0[wave].insert(key, put_request(item)?);
        Ok(())
    }

    /// The requests of each wave, each key once.
    fn into_requests(self) -> Vec<Vec<WriteRequest>> {
        let mut waves = self.0;
        let mut later = HashSet::new();
        for wave in waves.iter_mut().rev() {
            wave.retain(|key, _| later.insert(key.clone()));
        }
        waves
            .into_iter()
            .map(|wave| wave.into_values().collect())
            .collect()
    }
}

impl ErasureStore for DynamoStore {
    /// Nothing in one table is found through another, so EVENTS and
    /// ATTRIBUTION are erased concurrently. USER_MAP goes last: its stream
    /// tells segment-feed that the user's devices changed, and the feed
    /// sends no identify only for a user it finds no event or device of.
    async fn erase(&self, erasure: &Erasure) -> Result<Erased, StoreError> {
        let devices: HashSet<&str> = erasure.devices.iter().map(String::as_str).collect();
        let owners: Vec<Owner> = erasure
            .devices
            .iter()
            .cloned()
            .map(Owner::Device)
            .chain([Owner::User(erasure.user.clone())])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (events, erased) = future::try_join(
            self.erase_events(&erasure.user, &devices),
            self.erase_attribution(&owners, &erasure.conversions, &erasure.accounts),
        )
        .await?;
        self.forget_activity(&owners);
        let claims = self.erase_claims(&erasure.user, &devices).await?;
        let memberships = self.erase_memberships(&erasure.user).await?;
        Ok(Erased {
            events,
            claims,
            memberships,
            ..erased
        })
    }

    /// One consistent BatchGetItem of the tombstones (per 100): a retry that
    /// comes right after the erasure must not be stored again.
    async fn erased(&self, message_ids: &[String]) -> Result<Vec<bool>, StoreError> {
        let keys: Vec<Item> = message_ids.iter().map(|id| tombstone_key(id)).collect();
        let found = self
            .batch_get(&self.tables().events, keys.iter().cloned(), true)
            .await?;
        keys.iter()
            .map(|key| Ok(found.contains_key(&key_of(key)?)))
            .collect()
    }
}

impl DynamoStore {
    /// Deletes the events of `user` and of `devices` with what they wrote,
    /// leaving a tombstone of each; answers how many events went.
    async fn erase_events(&self, user: &str, devices: &HashSet<&str>) -> Result<u64, StoreError> {
        let table = &self.tables().events;
        let pks = std::iter::once(keys::user_events_pk(user))
            .chain(devices.iter().map(|d| keys::device_pk(d)))
            .collect();
        let mut partitions = self.partitions(table, pks).await?.into_iter();
        let of_user = partitions.next().unwrap_or_default();
        let mut found: Vec<Item> = partitions.flatten().collect();
        // 0: tombstones and what events wrote; 1: the events; 2: the user's
        // references, through which events under other devices are found.
        let mut waves = Waves::new(3);
        let mut activity: BTreeSet<(String, Owner)> = BTreeSet::new();
        let mut elsewhere = Vec::new();
        for item in of_user {
            let sk = get_s(&item, "sk")?;
            if is_event_sk(sk) {
                found.push(item);
                continue;
            }
            if sk.starts_with(REF_PREFIX) {
                let event_sk = get_s(&item, "event_sk")?;
                activity.insert((day_of(event_sk)?, Owner::User(user.to_owned())));
                if !devices.contains(get_s(&item, "anonymous_id")?) {
                    elsewhere.push(keys::key(get_s(&item, "event_pk")?, event_sk));
                }
            }
            waves.delete(2, &item)?;
        }
        found.extend(self.batch_get(table, elsewhere, true).await?.into_values());

        let mut events = HashSet::new();
        for event in &found {
            let (pk, sk) = key_of(event)?;
            if !is_event_sk(&sk) {
                waves.delete(2, event)?;
                continue;
            }
            if !events.insert((pk, sk.clone())) {
                continue;
            }
            waves.put(0, tombstone_key(get_s(event, "message_id")?))?;
            let day = day_of(&sk)?;
            let device = opt_s(event, "anonymous_id");
            if let Some(d) = device.filter(|d| devices.contains(d)) {
                activity.insert((day.clone(), Owner::Device(d.to_owned())));
            }
            match opt_s(event, "user_id") {
                Some(u) if u == user => {
                    activity.insert((day, Owner::User(u.to_owned())));
                }
                // A device's event carrying another user is referenced
                // under them; their activity is theirs.
                Some(other) if device.is_some() => {
                    let reference = format!("{REF_PREFIX}{sk}");
                    waves.delete(0, &keys::key(keys::user_events_pk(other), reference))?;
                }
                _ => {}
            }
            waves.delete(1, event)?;
        }
        for (day, owner) in &activity {
            waves.delete(0, &activity_key(day, owner))?;
        }
        self.send(table, waves).await?;
        Ok(events.len() as u64)
    }

    /// Deletes the claims of `user` and those on `devices`, both items of
    /// each; answers how many claims (or links) went.
    async fn erase_claims(&self, user: &str, devices: &HashSet<&str>) -> Result<u64, StoreError> {
        let table = &self.tables().user_map;
        let user_pk = identity::user_pk(user);
        let mut held = Vec::new();
        for item in self.partition(table, &user_pk, true).await? {
            held.push(held_by(&item)?);
        }
        // A device the user came to own after the application listed their
        // devices is read too, for its link, which names the user.
        let pks: Vec<String> = devices
            .iter()
            .copied()
            .chain(
                held.iter()
                    .filter(|h| h.owned && !devices.contains(h.device.as_str()))
                    .map(|h| h.device.as_str()),
            )
            .map(identity::device_pk)
            .collect();
        let mut read: HashSet<String> = pks.iter().cloned().collect();
        read.insert(user_pk);
        for item in self.partitions(table, pks).await?.into_iter().flatten() {
            held.push(held_by(&item)?);
        }
        held.retain(|h| h.user == user || devices.contains(h.device.as_str()));
        let claims: HashSet<(&str, &str)> = held
            .iter()
            .map(|h| (h.device.as_str(), h.user.as_str()))
            .collect();
        // Counterparts in partitions not read here go first: an erasure run
        // again reads these partitions again, and finds them no other way.
        let mut waves = Waves::new(2);
        for key in held.iter().flat_map(|h| &h.keys) {
            let (pk, _) = key_of(key)?;
            waves.delete(usize::from(read.contains(&pk)), key)?;
        }
        self.send(table, waves).await?;
        Ok(claims.len() as u64)
    }

    /// Deletes the user's memberships, the account's side first (the user's
    /// side is how a run again finds it); answers how many went.
    async fn erase_memberships(&self, user: &str) -> Result<u64, StoreError> {
        let table = &self.tables().user_map;
        let items = self.partition(table, &member_pk(user), true).await?;
        let mut waves = Waves::new(2);
        for item in &items {
            let [by_account, by_user] = membership_keys(item)?;
            waves.delete(0, &by_account)?;
            waves.delete(1, &by_user)?;
        }
        self.send(table, waves).await?;
        Ok(items.len() as u64)
    }

    /// Deletes every item of the owners' partitions and the conversions'
    /// entries; answers the touches, markers and ledger entries that went.
    async fn erase_attribution(
        &self,
        owners: &[Owner],
        conversions: &[String],
        accounts: &[String],
    ) -> Result<Erased, StoreError> {
        let table = &self.tables().attribution;
        let pks = owners.iter().map(keys::owner_pk).collect();
        let mut items: Vec<Item> = self.partitions(table, pks).await?.concat();
        // Of an account, only the markers of the conversions the user sent.
        let sent: HashSet<&str> = conversions.iter().map(String::as_str).collect();
        let pks = accounts
            .iter()
            .map(|a| keys::owner_pk(&Owner::Account(a.clone())))
            .collect();
        for item in self.partitions(table, pks).await?.concat() {
            let sk = get_s(&item, "sk")?;
            if sk.starts_with(MARKER_PREFIX) && sent.contains(get_s(&item, "message_id")?) {
                items.push(item);
            }
        }
        let entries = conversions.iter().map(|c| conversion_key(c));
        let entries = self.batch_get(table, entries, true).await?;
        let mut erased = Erased {
            ledger: entries.len() as u64,
            ..Erased::default()
        };
        items.extend(entries.into_values());
        let mut waves = Waves::new(1);
        for item in &items {
            let sk = get_s(item, "sk")?;
            if sk.starts_with(TOUCH_PREFIX) {
                erased.touches += 1;
            } else if sk.starts_with(MARKER_PREFIX) {
                erased.markers += 1;
            } else if sk == JOURNEY_SK {
                erased.ledger += 1;
            }
            waves.delete(0, item)?;
        }
        self.send(table, waves).await?;
        Ok(erased)
    }

    /// The items of each partition, read consistently: what was written
    /// just before the erasure goes too.
    async fn partitions(
        &self,
        table: &str,
        pks: Vec<String>,
    ) -> Result<Vec<Vec<Item>>, StoreError> {
        let reads: Vec<_> = pks
            .iter()
            .map(|pk| self.partition(table, pk, true))
            .collect();
        stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await
    }

    async fn send(&self, table: &str, waves: Waves) -> Result<(), StoreError> {
        for requests in waves.into_requests() {
            self.batch_write(table, requests).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tombstone_holds_the_digest_alone_apart_from_every_other_item() {
        let key = tombstone_key("m1");
        let (pk, sk) = key_of(&key).unwrap();
        assert_eq!(pk, format!("erased#{}", erased_digest("m1")));
        assert_eq!(sk, TOMBSTONE_SK);
        assert!(!pk.contains("m1") && key.len() == 2);
        assert_eq!(keys::owner_of_partition(&pk), None);
    }

    #[test]
    fn an_event_day_is_its_sort_keys_day() {
        assert_eq!(day_of("2024-03-01T23:59:59.999Z#m1").unwrap(), "2024-03-01");
        assert!(day_of("ref#2024").is_err());
    }

    #[test]
    fn a_key_in_several_waves_is_written_in_the_last() {
        let mut waves = Waves::new(2);
        let item = keys::key("p", "s");
        waves.delete(0, &item).unwrap();
        waves.delete(1, &item).unwrap();
        waves.put(0, keys::key("p", "t")).unwrap();
        let requests = waves.into_requests();
        assert!(requests[0][0].put_request().is_some());
        assert_eq!(requests[0].len(), 1);
        assert!(requests[1][0].delete_request().is_some());
    }
}
