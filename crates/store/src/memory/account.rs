//! Memberships in memory: one map keyed by (account, user).

use crate::{AccountStore, Membership, StoreError};

use super::MemoryStore;

impl AccountStore for MemoryStore {
    async fn join(&self, memberships: &[Membership]) -> Result<(), StoreError> {
        let mut data = self.data()?;
        for m in memberships {
            let key = (m.account.clone(), m.user_id.clone());
            let stored = data.members.entry(key).or_insert_with(|| m.clone());
            if (m.at, &m.message_id) < (stored.at, &stored.message_id) {
                *stored = m.clone();
            }
        }
        Ok(())
    }

    async fn members_of(&self, account: &str) -> Result<Vec<Membership>, StoreError> {
        let data = self.data()?;
        Ok(data
            .members
            .iter()
            .filter(|((a, _), _)| a == account)
            .map(|(_, m)| m.clone())
            .collect())
    }

    async fn accounts_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let data = self.data()?;
        Ok(data
            .members
            .keys()
            .filter(|(_, u)| u == user_id)
            .map(|(a, _)| a.clone())
            .collect())
    }
}
