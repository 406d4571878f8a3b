use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One stored touch of a device. The store keys it by (device, messageId of its
/// page) and orders by time; `touch` is the attribution crate's `Touch`, opaque
/// here so storage does not depend on the model code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TouchRecord {
    pub device: String,
    pub timestamp: DateTime<Utc>,
    pub message_id: String,
    pub touch: serde_json::Value,
}

/// The touches of one device as derived by a caller that saw `events` of the
/// device's stored events (those with it as anonymousId): the set is only the
/// device's true set when the store holds exactly that many.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceTouches {
    pub device: String,
    pub events: u64,
    pub touches: Vec<TouchRecord>,
}

/// What [`TouchStore::replace_touches_where_complete`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replaced {
    /// Touches stored now that were not stored for their device before.
    pub new_touches: u64,
    /// Devices left as they were: the store holds events the caller did not see,
    /// so their touches must be re-derived from the store.
    pub incomplete: Vec<String>,
}

/// Whose journey a message belongs to: a device, or a user known only by userId
/// (server-side events).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Owner {
    Device(String),
    User(String),
}
