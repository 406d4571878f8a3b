//! An account's journey (`GET /api/account/{groupId}`): every touch of every
//! device of every member, credited for the members' conversions and the
//! account's own (`ACCOUNT_CONVERSION_EVENTS`, such as a deal won).

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use sma_spec::Message;
use sma_store::{Membership, Store, StoreError};

use crate::App;
use crate::journey::Loaded;
use crate::query::{Attribution, EventView, iso};

/// `GET /api/account/{groupId}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub account_id: String,
    pub members: Vec<MemberView>,
    pub devices: Vec<String>,
    pub events: Vec<EventView>,
    #[serde(flatten)]
    pub attribution: Attribution,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: String,
    /// The time of the earliest group call that made them a member.
    pub joined_at: String,
    pub devices: Vec<String>,
}

/// An account's journey as loaded: its members (by userId), each member's
/// devices, and the journey over them all.
pub(crate) struct AccountJourney {
    pub(crate) memberships: Vec<Membership>,
    pub(crate) devices_of: Vec<Vec<String>>,
    pub(crate) loaded: Loaded,
}

impl<S: Store> App<S> {
    /// An account's history over all its members; `None` when it has none.
    pub async fn account(&self, account: &str) -> Result<Option<AccountView>, StoreError> {
        let Some(journey) = self.load_account(account).await? else {
            return Ok(None);
        };
        let members = journey
            .memberships
            .into_iter()
            .zip(journey.devices_of)
            .map(|(m, devices)| MemberView {
                user_id: m.user_id,
                joined_at: iso(m.at),
                devices,
            })
            .collect();
        let loaded = &journey.loaded;
        Ok(Some(AccountView {
            account_id: account.to_owned(),
            members,
            devices: loaded.devices.clone(),
            events: loaded.events.iter().map(EventView::from).collect(),
            attribution: self.attribution(loaded),
        }))
    }

    /// An account's members and journey; `None` when it has no member.
    pub(crate) async fn load_account(
        &self,
        account: &str,
    ) -> Result<Option<AccountJourney>, StoreError> {
        self.read_after_writes().await?;
        let memberships = self.store.members_of(account).await?;
        if memberships.is_empty() {
            return Ok(None);
        }
        let users: Vec<String> = memberships.iter().map(|m| m.user_id.clone()).collect();
        let devices_of = self.store.devices_of_users(&users).await?;
        let mut events = Vec::new();
        // Members whose account conversions need not name it: it is their only one.
        let mut only_here = HashSet::new();
        for (user, devices) in users.iter().zip(&devices_of) {
            events.extend(self.store.user_events(user, devices).await?);
            if self.store.accounts_of(user).await? == [account] {
                only_here.insert(user.clone());
            }
        }
        events.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
        events.dedup_by(|a, b| a.message_id == b.message_id);
        let devices: BTreeSet<String> = devices_of.iter().flatten().cloned().collect();
        let converts = |m: &Message| {
            self.rules.is_conversion(m)
                || (self.rules.is_account_conversion(m) && names(m, account, &only_here))
        };
        let loaded = self
            .assemble(devices.into_iter().collect(), events, converts)
            .await?;
        Ok(Some(AccountJourney {
            memberships,
            devices_of,
            loaded,
        }))
    }
}

/// Whether an account conversion belongs to `account`: it names it, or names
/// none and its sender's only account is this one.
fn names(message: &Message, account: &str, only_here: &HashSet<String>) -> bool {
    match (&message.group_id, &message.user_id) {
        (Some(named), _) => named == account,
        (None, Some(user)) => only_here.contains(user),
        (None, None) => false,
    }
}
