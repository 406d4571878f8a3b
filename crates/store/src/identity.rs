use chrono::{DateTime, Utc};
use serde::Serialize;
use sma_spec::IdentityLink;

/// What recording one identity claim did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// The device now belongs to this user: its first claim.
    Linked,
    /// The device now belongs to this user, whose claim is earlier than that
    /// of `previous`, its owner until now.
    TakenOver { previous: String },
    /// The device already belonged to this user.
    Unchanged,
    /// The device belongs to another user; the claim is kept as a conflict.
    Conflict { owner: String },
}

/// One identity claim as a message asserts it: the link, the message's time and
/// its messageId (the evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub link: IdentityLink,
    pub at: DateTime<Utc>,
    pub message_id: String,
}

/// A device claimed by more than one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub anonymous_id: String,
    /// The user the device belongs to (earliest claim).
    pub owner: String,
    /// The user whose later claim was not applied.
    pub claimant: String,
    pub claimed_at: DateTime<Utc>,
    pub message_id: String,
}
