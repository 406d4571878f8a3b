//! Accounts in the pipeline. A `group` call with a userId makes the user a
//! member of its account (placeholder ids on either side never join). An
//! account's journey is its members' devices and markers, and it credits the
//! account's own conversions (`ACCOUNT_CONVERSION_EVENTS`), carried by the
//! account; whatever changes a member's journey changes their accounts' too.

use std::collections::{BTreeMap, HashMap};

use sma_spec::{Message, MessageType, is_blocked_id};
use sma_store::{Membership, Owner, Store, StoreError};

use super::{Dirty, Scope};
use crate::App;

impl<S: Store> App<S> {
    /// Records the memberships the messages assert; the accounts' journeys
    /// gained a member.
    pub(crate) async fn join_accounts(
        &self,
        messages: &[Message],
        dirty: &mut Dirty,
    ) -> Result<(), StoreError> {
        let memberships = memberships_of(messages);
        if memberships.is_empty() {
            return Ok(());
        }
        self.store.join(&memberships).await?;
        for m in memberships {
            dirty.mark(Owner::Account(m.account), Scope::All);
        }
        Ok(())
    }

    /// Adds to `journeys` the accounts of each user in it, as far as the
    /// user's journey changed.
    pub(crate) async fn widen_to_accounts(
        &self,
        journeys: &mut BTreeMap<Owner, Scope>,
    ) -> Result<(), StoreError> {
        let users: Vec<(String, Scope)> = journeys
            .iter()
            .filter_map(|(owner, scope)| match owner {
                Owner::User(u) => Some((u.clone(), scope.clone())),
                _ => None,
            })
            .collect();
        for (user, scope) in users {
            for account in self.store.accounts_of(&user).await? {
                journeys
                    .entry(Owner::Account(account))
                    .or_default()
                    .widen(scope.clone());
            }
        }
        Ok(())
    }

    /// The userIds of an account's members.
    pub(crate) async fn members(&self, account: &str) -> Result<Vec<String>, StoreError> {
        let members = self.store.members_of(account).await?;
        Ok(members.into_iter().map(|m| m.user_id).collect())
    }

    /// The account an account conversion belongs to: the one it names, else
    /// its sender's only account.
    pub(crate) async fn account_of(&self, m: &Message) -> Result<Option<String>, StoreError> {
        if let Some(named) = &m.group_id {
            return Ok((!is_blocked_id(named)).then(|| named.clone()));
        }
        let Some(user) = m.user_id.as_deref().filter(|u| !is_blocked_id(u)) else {
            return Ok(None);
        };
        let accounts = self.store.accounts_of(user).await?;
        Ok(match accounts.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        })
    }
}

/// Whether a conversion carried by `carrier` is credited in `journey`'s
/// ledger: an account credits its own, a user or a device those of theirs.
pub(crate) fn credited_in(journey: &Owner, carrier: &Owner) -> bool {
    matches!(journey, Owner::Account(_)) == matches!(carrier, Owner::Account(_))
}

/// Each (account, user) the messages' group calls assert, once, with its
/// earliest evidence.
fn memberships_of(messages: &[Message]) -> Vec<Membership> {
    let mut found: HashMap<(&str, &str), Membership> = HashMap::new();
    for m in messages
        .iter()
        .filter(|m| m.message_type == MessageType::Group)
    {
        let (Some(account), Some(user)) = (m.group_id.as_deref(), m.user_id.as_deref()) else {
            continue;
        };
        if is_blocked_id(account) || is_blocked_id(user) {
            continue;
        }
        let membership = Membership {
            account: account.to_owned(),
            user_id: user.to_owned(),
            at: m.timestamp,
            message_id: m.message_id.clone(),
        };
        let earliest = found
            .entry((account, user))
            .or_insert_with(|| membership.clone());
        if (membership.at, &membership.message_id) < (earliest.at, &earliest.message_id) {
            *earliest = membership;
        }
    }
    let mut memberships: Vec<Membership> = found.into_values().collect();
    memberships.sort_by(|a, b| (&a.account, &a.user_id).cmp(&(&b.account, &b.user_id)));
    memberships
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sma_spec::{Message, MessageType};

    use super::memberships_of;

    fn group(id: &str, user: &str, account: &str, secs: i64) -> Message {
        let raw = format!(
            r#"{{"type":"group","messageId":"{id}","userId":"{user}","groupId":"{account}"}}"#
        );
        let at = Utc.timestamp_opt(secs, 0).unwrap();
        Message::from_stored(&raw, MessageType::Group, at).unwrap()
    }

    #[test]
    fn each_membership_once_with_its_earliest_evidence_and_never_a_placeholder() {
        let messages = [
            group("g2", "u1", "acme", 20),
            group("g1", "u1", "acme", 10),
            group("g3", "u2", "acme", 5),
            group("g4", "u1", "null", 1),
            group("g5", "0", "acme", 1),
        ];
        let found: Vec<(String, String, String)> = memberships_of(&messages)
            .into_iter()
            .map(|m| (m.account, m.user_id, m.message_id))
            .collect();
        let expected = [("acme", "u1", "g1"), ("acme", "u2", "g3")]
            .map(|(a, u, m)| (a.to_owned(), u.to_owned(), m.to_owned()));
        assert_eq!(found, expected);
    }
}
