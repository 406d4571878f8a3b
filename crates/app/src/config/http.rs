//! Serving: where `sma serve` listens and what one request or connection may
//! cost, locally and on Lambda.

use super::SettingError;
use super::env::Env;

/// The address of `sma serve` and the limits every request meets
/// (docs/hardening.md says what each one stops).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// `sma serve`: the address it listens on.
    pub host: String,
    /// `sma serve`: the port it listens on (0: any free one).
    pub port: u16,
    /// Largest request body, in bytes (gzip bodies: once inflated).
    pub max_body_bytes: usize,
    /// Most messages one request body may hold.
    pub max_batch_messages: usize,
    /// A request still running this long answers 503 (Segment retries it).
    pub request_timeout_seconds: u32,
    /// Bytes all bodies of senders not yet authenticated may hold together.
    pub max_unauthenticated_bytes: usize,
    /// A body not fully received this long after its head answers 408.
    pub body_read_timeout_seconds: u32,
    /// `sma serve`: a request head must be in this long after its first byte.
    pub header_read_timeout_seconds: u32,
    /// `sma serve`: a connection waiting this long for its next request is closed.
    pub idle_timeout_seconds: u32,
    /// `sma serve`: connections open at once.
    pub max_connections: usize,
}

impl HttpSettings {
    pub(super) fn read(env: &Env) -> Result<HttpSettings, SettingError> {
        let http = HttpSettings {
            host: env.text("HOST", "127.0.0.1"),
            port: env.number("PORT", 3000)?,
            max_body_bytes: env.positive("MAX_BODY_BYTES", 5 * 1024 * 1024)?,
            max_batch_messages: env.positive("MAX_BATCH_MESSAGES", 10_000)?,
            request_timeout_seconds: env.positive("REQUEST_TIMEOUT_SECONDS", 30)?,
            max_unauthenticated_bytes: env.positive("MAX_UNAUTHENTICATED_BYTES", 64 << 20)?,
            body_read_timeout_seconds: env.positive("BODY_READ_TIMEOUT_SECONDS", 10)?,
            header_read_timeout_seconds: env.positive("HEADER_READ_TIMEOUT_SECONDS", 10)?,
            idle_timeout_seconds: env.positive("IDLE_TIMEOUT_SECONDS", 60)?,
            max_connections: env.positive("MAX_CONNECTIONS", 512)?,
        };
        // A signed body is held against the unauthenticated budget until its
        // signature is checked, so the budget must fit the largest body.
        if http.max_unauthenticated_bytes < http.max_body_bytes {
            return Err(SettingError {
                name: "MAX_UNAUTHENTICATED_BYTES",
                value: http.max_unauthenticated_bytes.to_string(),
                problem:
                    "must be at least MAX_BODY_BYTES, or a signed body of that size never fits"
                        .into(),
            });
        }
        Ok(http)
    }
}
