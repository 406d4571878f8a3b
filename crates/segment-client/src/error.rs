//! Errors raised while setting the client up or building messages.
//!
//! Sending never returns an error: what could not be delivered is reported per message in
//! [`crate::SendReport`], so a caller cannot lose a failure by ignoring a `Result`.

/// Why the client could not be configured or a message could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `SEGMENT_ENDPOINT` is neither `us`, `eu` nor an absolute http(s) URL.
    #[error(
        "invalid Segment endpoint {value:?}: {reason} (expected \"us\", \"eu\" or an http(s) URL)"
    )]
    InvalidEndpoint {
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A message needs a non-blank userId or anonymousId (identify: a userId).
    #[error("{kind} message needs a non-blank {needed}")]
    MissingIdentity {
        /// `identify` or `track`.
        kind: &'static str,
        /// Which id is missing.
        needed: &'static str,
    },
    /// A track message needs a non-blank event name.
    #[error("track message needs a non-blank event name")]
    MissingEvent,
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}
