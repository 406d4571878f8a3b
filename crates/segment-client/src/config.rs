//! How the client reaches Segment and how persistent it is.

use std::time::Duration;

use crate::Endpoint;

/// Settings of a [`crate::Client`]. [`Default`] gives production values for the US
/// region in dry-run (no write key).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where batches are posted (`SEGMENT_ENDPOINT`).
    pub endpoint: Endpoint,
    /// The source's write key (`ANALYTICS_WRITE_KEY`); `None` or blank means dry-run:
    /// nothing is sent and the report lists what would have been.
    pub write_key: Option<String>,
    /// Attempts per request, the first included (at least 1 is always made).
    pub max_attempts: u32,
    /// Backoff ceiling before the first retry; it doubles with each further retry.
    pub initial_backoff: Duration,
    /// Largest backoff between attempts.
    pub max_backoff: Duration,
    /// Longest wait a `Retry-After` header may impose before one retry.
    pub max_retry_after: Duration,
    /// Whole-request timeout (connect, send, response); a timeout is retried.
    pub request_timeout: Duration,
}

impl ClientConfig {
    /// Production settings for `endpoint`, sending with `write_key` when it is non-blank.
    pub fn new(endpoint: Endpoint, write_key: Option<String>) -> Self {
        Self {
            endpoint,
            write_key,
            ..Self::default()
        }
    }

    /// The write key, when one is configured (a blank key counts as none).
    pub fn effective_write_key(&self) -> Option<&str> {
        self.write_key.as_deref().filter(|k| !k.trim().is_empty())
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            endpoint: Endpoint::default(),
            write_key: None,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(15),
        }
    }
}
