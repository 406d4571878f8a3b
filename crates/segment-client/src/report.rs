//! The outcome of a send, per message, so that nothing fails silently.

use serde::{Deserialize, Serialize};

/// What happened to the messages handed to [`crate::Client::send`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SendReport {
    /// Messages handed in.
    pub messages: usize,
    /// Requests they were packed into (would have been, in dry-run).
    pub batches: usize,
    /// Messages Segment accepted.
    pub sent: usize,
    /// Messages not delivered, each with the reason.
    pub failed: Vec<Failure>,
    /// True when no write key is configured and nothing was sent.
    pub dry_run: bool,
    /// In dry-run, the messages that would have been sent, as JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub would_send: Vec<serde_json::Value>,
}

/// A message that was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Its `messageId`.
    pub message_id: String,
    /// Why: too large, the rejecting status and body, or the last error after retries.
    pub reason: String,
}

impl SendReport {
    /// True when every message was delivered (or, in dry-run, would be sent).
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}
