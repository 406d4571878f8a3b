//! Accounts (Segment groups): which users are members of which account. A
//! `group(userId, groupId)` call makes the user a member, retroactively, as a
//! link makes a device the user's; a user may belong to several accounts.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A user's membership of an account, with its earliest evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub account: String,
    pub user_id: String,
    /// The time of the earliest message that asserted it.
    pub at: DateTime<Utc>,
    pub message_id: String,
}

/// Accounts and their members.
pub trait AccountStore: Send + Sync {
    /// Records memberships, each once per (account, user): a membership
    /// asserted again keeps its earliest evidence.
    fn join(
        &self,
        memberships: &[Membership],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The memberships of an account, by userId.
    fn members_of(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Vec<Membership>, StoreError>> + Send;

    /// The accounts a user is a member of, sorted.
    fn accounts_of(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}
