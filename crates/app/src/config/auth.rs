//! Who may call sma: the credentials the routes ask for (`crate::http::auth`
//! checks them).

use super::env::Env;

/// The credentials of sma's routes. With none set sma answers anyone (fine on
/// a laptop), and `sma serve` says so at start.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthSettings {
    /// Bearer token of `/api/*`, also accepted on `/events` and `/v1/*`.
    pub api_token: Option<String>,
    /// Bearer token of `/segment/*`, which sends data out; `API_TOKEN` guards
    /// those routes too while it is not set.
    pub feed_token: Option<String>,
    /// Secret of the Segment webhook destination: `/events` then asks for a
    /// signature of the body made with it.
    pub segment_shared_secret: Option<String>,
    /// Write keys accepted as Basic auth on the Tracking API paths `/v1/*`.
    pub intake_write_keys: Vec<String>,
}

impl AuthSettings {
    pub(super) fn read(env: &Env) -> AuthSettings {
        AuthSettings {
            api_token: env.optional("API_TOKEN"),
            feed_token: env.optional("FEED_TOKEN"),
            segment_shared_secret: env.optional("SEGMENT_SHARED_SECRET"),
            intake_write_keys: env.list("INTAKE_WRITE_KEYS", ""),
        }
    }
}
