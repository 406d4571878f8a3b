//! A store in memory: the port's semantics in the plainest code, for tests of
//! the application that need no file or database (it passes the same contract
//! as the real adapters). Nothing survives the process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use sma_spec::{IdentityLink, Message};

use crate::{
    Claim, Conflict, DeviceChange, EventStore, IdentityStore, Json, LedgerEntry, LedgerKey,
    LinkOutcome, Marker, MarkerStore, Owner, StoreError, TouchRecord, TouchStore, Versioned,
};

mod account;
mod erasure;
mod ledger;
mod spend;

/// Cheap to clone: clones share one set of data.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    data: Arc<Mutex<Data>>,
}

#[derive(Debug, Default)]
struct Data {
    /// messageId -> message.
    events: HashMap<String, Message>,
    /// (anonymousId, userId) -> (claimed at, messageId): the earliest evidence.
    claims: BTreeMap<(String, String), (DateTime<Utc>, String)>,
    states: HashMap<String, Versioned<Json>>,
    /// device -> messageId -> touch.
    touches: HashMap<String, BTreeMap<String, TouchRecord>>,
    markers: HashMap<String, Marker>,
    ledger: HashMap<LedgerKey, Versioned<LedgerEntry>>,
    totals: ledger::Totals,
    /// Digests of erased messageIds.
    erased: BTreeSet<String>,
    /// Spend by key, whose order is the port's.
    spend: BTreeMap<crate::SpendKey, crate::SpendRow>,
    /// (account, userId) -> membership.
    members: BTreeMap<(String, String), crate::Membership>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn data(&self) -> Result<MutexGuard<'_, Data>, StoreError> {
        self.data
            .lock()
            .map_err(|_| StoreError::Backend("memory store mutex poisoned".into()))
    }
}

/// Time order, as every adapter answers histories.
fn sorted(mut messages: Vec<Message>) -> Vec<Message> {
    messages.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
    messages
}

fn within(at: DateTime<Utc>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> bool {
    from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t)
}

impl Data {
    fn owner_of(&self, anonymous_id: &str) -> Option<String> {
        self.claims
            .iter()
            .filter(|((a, _), _)| a == anonymous_id)
            .min_by(|(_, x), (_, y)| x.cmp(y))
            .map(|((_, user), _)| user.clone())
    }

    fn link(&mut self, claim: &Claim) -> LinkOutcome {
        let (anon, user) = (&claim.link.anonymous_id, &claim.link.user_id);
        let before = self.owner_of(anon);
        let evidence = (claim.at, claim.message_id.clone());
        let key = (anon.clone(), user.clone());
        let stored = self.claims.entry(key).or_insert_with(|| evidence.clone());
        if evidence < *stored {
            *stored = evidence;
        }
        let after = self.owner_of(anon).expect("a claim was just recorded");
        match before {
            Some(b) if b == after && &after == user => LinkOutcome::Unchanged,
            _ if &after != user => LinkOutcome::Conflict { owner: after },
            Some(previous) => LinkOutcome::TakenOver { previous },
            None => LinkOutcome::Linked,
        }
    }

    fn version_of<T>(stored: Option<&Versioned<T>>) -> Option<u64> {
        stored.map(|s| s.version)
    }
}

impl EventStore for MemoryStore {
    async fn put_events(&self, messages: &[Message]) -> Result<Vec<bool>, StoreError> {
        let mut data = self.data()?;
        Ok(messages
            .iter()
            .map(|m| {
                let new = !data.events.contains_key(&m.message_id);
                if new {
                    data.events.insert(m.message_id.clone(), m.clone());
                }
                new
            })
            .collect())
    }

    async fn stored_under(&self, messages: &[Message]) -> Result<Vec<Option<Message>>, StoreError> {
        let data = self.data()?;
        Ok(messages
            .iter()
            .map(|m| data.events.get(&m.message_id).cloned())
            .collect())
    }

    async fn device_events(&self, anonymous_id: &str) -> Result<Vec<Message>, StoreError> {
        let data = self.data()?;
        Ok(sorted(
            data.events
                .values()
                .filter(|m| m.anonymous_id.as_deref() == Some(anonymous_id))
                .cloned()
                .collect(),
        ))
    }

    async fn device_events_between(
        &self,
        anonymous_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Message>, StoreError> {
        let all = self.device_events(anonymous_id).await?;
        Ok(all
            .into_iter()
            .filter(|m| within(m.timestamp, Some(from), Some(to)))
            .collect())
    }

    async fn user_events(
        &self,
        user_id: &str,
        devices: &[String],
    ) -> Result<Vec<Message>, StoreError> {
        let data = self.data()?;
        Ok(sorted(
            data.events
                .values()
                .filter(|m| {
                    m.user_id.as_deref() == Some(user_id)
                        || m.anonymous_id.as_ref().is_some_and(|a| devices.contains(a))
                })
                .cloned()
                .collect(),
        ))
    }

    async fn owners(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Owner>, StoreError> {
        let data = self.data()?;
        let owners: BTreeSet<Owner> = data
            .events
            .values()
            .filter(|m| within(m.timestamp, from, to))
            .filter_map(|m| match (&m.anonymous_id, &m.user_id) {
                (Some(a), _) => Some(Owner::Device(a.clone())),
                (None, Some(u)) => Some(Owner::User(u.clone())),
                (None, None) => None,
            })
            .collect();
        Ok(owners.into_iter().collect())
    }
}

impl IdentityStore for MemoryStore {
    async fn link(
        &self,
        link: &IdentityLink,
        at: DateTime<Utc>,
        message_id: &str,
    ) -> Result<LinkOutcome, StoreError> {
        let claim = Claim {
            link: link.clone(),
            at,
            message_id: message_id.to_owned(),
        };
        Ok(self.data()?.link(&claim))
    }

    async fn user_of(&self, anonymous_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.data()?.owner_of(anonymous_id))
    }

    async fn devices_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let data = self.data()?;
        let claimed: BTreeSet<&String> = data.claims.keys().map(|(a, _)| a).collect();
        Ok(claimed
            .into_iter()
            .filter(|a| data.owner_of(a).as_deref() == Some(user_id))
            .cloned()
            .collect())
    }

    async fn conflicts_of(&self, user_id: &str) -> Result<Vec<Conflict>, StoreError> {
        let data = self.data()?;
        let mut conflicts = Vec::new();
        for ((anon, _), _) in data.claims.iter().filter(|((_, u), _)| u == user_id) {
            let owner = data.owner_of(anon).expect("a claimed device has an owner");
            for ((a, claimant), (at, message_id)) in &data.claims {
                if a == anon && *claimant != owner {
                    conflicts.push(Conflict {
                        anonymous_id: anon.clone(),
                        owner: owner.clone(),
                        claimant: claimant.clone(),
                        claimed_at: *at,
                        message_id: message_id.clone(),
                    });
                }
            }
        }
        conflicts.sort_by(|a, b| {
            (&a.anonymous_id, a.claimed_at, &a.message_id).cmp(&(
                &b.anonymous_id,
                b.claimed_at,
                &b.message_id,
            ))
        });
        Ok(conflicts)
    }
}

impl TouchStore for MemoryStore {
    async fn device_states(
        &self,
        devices: &[String],
    ) -> Result<Vec<Option<Versioned<Json>>>, StoreError> {
        let data = self.data()?;
        Ok(devices
            .iter()
            .map(|d| data.states.get(d).cloned())
            .collect())
    }

    async fn commit_devices(&self, changes: &[DeviceChange]) -> Result<Vec<bool>, StoreError> {
        let mut data = self.data()?;
        Ok(changes
            .iter()
            .map(|change| {
                let stored = Data::version_of(data.states.get(&change.device));
                if stored != change.expected {
                    return false;
                }
                let version = stored.unwrap_or(0) + 1;
                let state = change.state.clone();
                data.states.insert(
                    change.device.clone(),
                    Versioned {
                        version,
                        value: state,
                    },
                );
                let touches = data.touches.entry(change.device.clone()).or_default();
                for touch in &change.remove {
                    touches.remove(&touch.message_id);
                }
                for touch in &change.put {
                    touches.insert(touch.message_id.clone(), touch.clone());
                }
                true
            })
            .collect())
    }

    async fn device_touches(&self, device: &str) -> Result<Vec<TouchRecord>, StoreError> {
        let data = self.data()?;
        let mut touches: Vec<TouchRecord> = data
            .touches
            .get(device)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default();
        touches.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
        Ok(touches)
    }

    async fn device_touches_between(
        &self,
        device: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        let all = self.device_touches(device).await?;
        Ok(all
            .into_iter()
            .filter(|t| within(t.timestamp, Some(from), Some(to)))
            .collect())
    }
}

impl MarkerStore for MemoryStore {
    async fn put_markers(&self, markers: &[Marker]) -> Result<(), StoreError> {
        let mut data = self.data()?;
        for marker in markers {
            data.markers
                .entry(marker.message_id.clone())
                .or_insert_with(|| marker.clone());
        }
        Ok(())
    }

    async fn markers_of(
        &self,
        carriers: &[Owner],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Marker>, StoreError> {
        let data = self.data()?;
        let mut found: Vec<Marker> = data
            .markers
            .values()
            .filter(|m| carriers.contains(&m.carrier) && within(m.timestamp, Some(from), Some(to)))
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    crate::contract_tests!(MemoryStore::new());
}
