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

/// Whose journey a message belongs to: a device, or a user known only by userId
/// (server-side events).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Owner {
    Device(String),
    User(String),
}
