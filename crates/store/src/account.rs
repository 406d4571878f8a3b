//! Accounts (Segment groups): which users are members of which account. A
//! `group(userId, groupId)` call makes the user a member, retroactively, as a
//! link makes a device the user's; a user may belong to several accounts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user's membership of an account, with its earliest evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub account: String,
    pub user_id: String,
    /// The time of the earliest message that asserted it.
    pub at: DateTime<Utc>,
    pub message_id: String,
}
