//! Erasure in memory: every map filtered by the user and their devices.

use std::collections::HashSet;

use crate::{Erased, Erasure, ErasureStore, LedgerKey, Owner, StoreError, erased_digest};

use super::MemoryStore;

impl ErasureStore for MemoryStore {
    async fn erase(&self, erasure: &Erasure) -> Result<Erased, StoreError> {
        let mut data = self.data()?;
        let devices: HashSet<&str> = erasure.devices.iter().map(String::as_str).collect();
        let user = erasure.user.as_str();
        let owners: HashSet<Owner> = erasure
            .devices
            .iter()
            .cloned()
            .map(Owner::Device)
            .chain([Owner::User(erasure.user.clone())])
            .collect();
        let mut erased = Erased::default();

        let events: Vec<String> = data
            .events
            .values()
            .filter(|m| {
                m.user_id.as_deref() == Some(user)
                    || m.anonymous_id
                        .as_deref()
                        .is_some_and(|a| devices.contains(a))
            })
            .map(|m| m.message_id.clone())
            .collect();
        for id in events {
            data.events.remove(&id);
            data.erased.insert(erased_digest(&id));
            erased.events += 1;
        }
        let before = data.claims.len();
        data.claims
            .retain(|(a, u), _| u != user && !devices.contains(a.as_str()));
        erased.claims = (before - data.claims.len()) as u64;
        let before = data.members.len();
        data.members.retain(|(_, u), _| u != user);
        erased.memberships = (before - data.members.len()) as u64;
        for device in &erasure.devices {
            data.states.remove(device);
            if let Some(touches) = data.touches.remove(device) {
                erased.touches += touches.len() as u64;
            }
        }
        let before = data.markers.len();
        let sent = |m: &crate::Marker| match &m.carrier {
            Owner::Account(a) => {
                erasure.accounts.contains(a) && erasure.conversions.contains(&m.message_id)
            }
            _ => false,
        };
        data.markers
            .retain(|_, m| !owners.contains(&m.carrier) && !sent(m));
        erased.markers = (before - data.markers.len()) as u64;
        let keys = erasure
            .conversions
            .iter()
            .cloned()
            .map(LedgerKey::Conversion)
            .chain(owners.into_iter().map(LedgerKey::Journey));
        for key in keys {
            if data.ledger.remove(&key).is_some() {
                erased.ledger += 1;
            }
        }
        Ok(erased)
    }

    async fn erased(&self, message_ids: &[String]) -> Result<Vec<bool>, StoreError> {
        let data = self.data()?;
        Ok(message_ids
            .iter()
            .map(|id| data.erased.contains(&erased_digest(id)))
            .collect())
    }
}
