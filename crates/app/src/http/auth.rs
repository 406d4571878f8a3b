//! Who may call what. Secrets are compared in constant time; failures say what is
//! missing, never what was expected.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::request::Parts;
use base64::Engine;
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::{App, AuthSettings};

/// Guard of the read endpoints (`/api/*`): [`query`] as an extractor, listed
/// first so credentials are checked before any parameter.
pub struct ReadAccess;

impl<S: Send + Sync> FromRequestParts<App<S>> for ReadAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, ApiError> {
        query(&app.settings.auth, &parts.headers).map(|()| ReadAccess)
    }
}

/// Guard of the writes under `/api` (`POST /api/spend`): [`api_write`] as an
/// extractor.
pub struct WriteAccess;

impl<S: Send + Sync> FromRequestParts<App<S>> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, ApiError> {
        api_write(&app.settings.auth, &parts.headers).map(|()| WriteAccess)
    }
}

/// Guard of the feed (`/segment/*`): [`feed`] as an extractor.
pub struct FeedAccess;

impl<S: Send + Sync> FromRequestParts<App<S>> for FeedAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, ApiError> {
        feed(&app.settings.auth, &parts.headers).map(|()| FeedAccess)
    }
}

/// Guard of the Tracking API (`/v1/*`): [`tracking_api`] as an extractor.
pub struct TrackingAccess(pub Caller);

impl<S: Send + Sync> FromRequestParts<App<S>> for TrackingAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, ApiError> {
        tracking_api(&app.settings.auth, &parts.headers).map(TrackingAccess)
    }
}

/// What the headers alone say about the sender of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A credential in the headers was checked: its body is read at once.
    Authenticated,
    /// Anyone, until the body itself is checked (a signature) or because no
    /// secret is set: its body is read within the shared budget.
    Unverified,
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The username of HTTP Basic auth: Segment's libraries send the write key there.
fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(
        text.split_once(':')
            .map_or(text.as_str(), |(user, _)| user)
            .to_owned(),
    )
}

fn has_token(expected: Option<&str>, headers: &HeaderMap) -> bool {
    match (expected, bearer(headers)) {
        (Some(expected), Some(given)) => same(expected, given),
        _ => false,
    }
}

fn has_api_token(settings: &AuthSettings, headers: &HeaderMap) -> bool {
    has_token(settings.api_token.as_deref(), headers)
}

/// `/api/*`: the bearer `API_TOKEN` when one is set; without one (a laptop), a
/// loopback `Host` only.
pub fn query(settings: &AuthSettings, headers: &HeaderMap) -> Result<(), ApiError> {
    guarded(settings.api_token.as_deref(), settings, headers)
}

/// A write under `/api`: as [`query`], and without `API_TOKEN` no page of
/// another site either. A page anywhere can make a browser post a form to
/// localhost (its `Host` is loopback); for a read that is harmless, as the
/// page cannot see the answer, for a write it is not. Browsers name the
/// page's site in `Origin`.
pub fn api_write(settings: &AuthSettings, headers: &HeaderMap) -> Result<(), ApiError> {
    query(settings, headers)?;
    let Some(origin) = headers.get(ORIGIN).filter(|_| settings.api_token.is_none()) else {
        return Ok(());
    };
    let host = origin.to_str().ok().and_then(|o| o.split_once("://"));
    if host.is_some_and(|(_, host)| is_loopback_host(host)) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "without API_TOKEN, writes under /api are taken from no page of another site \
         (its Origin); set API_TOKEN to write from elsewhere",
    ))
}

/// `/segment/*`: the bearer `FEED_TOKEN`, or `API_TOKEN` while no `FEED_TOKEN`
/// is set; with neither, a loopback `Host` only.
pub fn feed(settings: &AuthSettings, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = settings
        .feed_token
        .as_deref()
        .or(settings.api_token.as_deref());
    guarded(token, settings, headers)
}

fn guarded(
    token: Option<&str>,
    settings: &AuthSettings,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if token.is_none() {
        return loopback_only(headers);
    }
    if has_token(token, headers) {
        return Ok(());
    }
    if basic_user(headers).is_some_and(|key| is_write_key(settings, &key)) {
        return Err(ApiError::forbidden(
            "a write key may send events, not read them",
        ));
    }
    Err(ApiError::unauthorized("missing or invalid bearer token"))
}

/// A page on any site can make a browser resolve its own name to 127.0.0.1 (DNS
/// rebinding) and read what that answers; its requests still carry the page's
/// name in `Host`. Without a token that is all that keeps it from `/api/*`. A
/// request without `Host` comes from no browser.
fn loopback_only(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(host) = headers.get(HOST) else {
        return Ok(());
    };
    if host.to_str().is_ok_and(is_loopback_host) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "without API_TOKEN, /api and /segment answer only requests for \
         localhost, 127.0.0.1 or [::1]; set API_TOKEN to serve other host names",
    ))
}

/// `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    // `[::1]` has colons of its own; a port is digits after the last one.
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]"
    )
}

/// `/events`, before its body is read: a bearer token that is sent must be
/// `API_TOKEN`, so a caller with a wrong one is refused without sending a byte.
pub fn webhook_headers(settings: &AuthSettings, headers: &HeaderMap) -> Result<Caller, ApiError> {
    match (&settings.api_token, bearer(headers)) {
        (Some(expected), Some(given)) if same(expected, given) => Ok(Caller::Authenticated),
        (Some(_), Some(_)) => Err(ApiError::unauthorized("invalid bearer token").closing()),
        _ => Ok(Caller::Unverified),
    }
}

/// `/events`, once its body is in: a valid `X-Signature` of the whole body when
/// `SEGMENT_SHARED_SECRET` is set (a caller the headers authenticated is not asked).
pub fn webhook(
    settings: &AuthSettings,
    caller: Caller,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(secret) = &settings.segment_shared_secret else {
        return Ok(());
    };
    let signed = headers
        .get("x-signature")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sig| sma_spec::verify_signature(secret.as_bytes(), body, sig));
    if signed || caller == Caller::Authenticated {
        Ok(())
    } else {
        Err(ApiError::unauthorized("missing or invalid X-Signature"))
    }
}

fn is_write_key(settings: &AuthSettings, key: &str) -> bool {
    // Every key is compared, so timing does not tell which position matched.
    settings
        .intake_write_keys
        .iter()
        .fold(false, |found, k| found | same(k, key))
}

/// `/v1/*` (Tracking API): a write key from `INTAKE_WRITE_KEYS` as Basic auth when
/// any is set, or the bearer `API_TOKEN`.
pub fn tracking_api(settings: &AuthSettings, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if has_api_token(settings, headers) {
        return Ok(Caller::Authenticated);
    }
    if settings.intake_write_keys.is_empty() {
        return Ok(Caller::Unverified);
    }
    match basic_user(headers) {
        Some(key) if is_write_key(settings, &key) => Ok(Caller::Authenticated),
        _ => Err(ApiError::unauthorized("missing or unknown write key").closing()),
    }
}

#[cfg(test)]
mod tests {
    use super::{api_write, is_loopback_host};
    use crate::{AuthSettings, Settings};
    use axum::http::HeaderMap;

    #[test]
    fn writes_without_a_token_come_from_no_page_of_another_site() {
        let open = Settings::defaults().auth;
        let headers = |pairs: &[(&'static str, &str)]| -> HeaderMap {
            pairs
                .iter()
                .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                .collect()
        };
        assert!(api_write(&open, &headers(&[("host", "localhost:3000")])).is_ok());
        let own = [
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ];
        assert!(api_write(&open, &headers(&own)).is_ok());
        for origin in ["https://evil.example", "null"] {
            let cross = [("host", "localhost:3000"), ("origin", origin)];
            let refused = api_write(&open, &headers(&cross)).unwrap_err();
            assert_eq!(refused.status(), 403, "{origin}");
        }
        let guarded = AuthSettings {
            api_token: Some("t".into()),
            ..open.clone()
        };
        let with_token = [
            ("authorization", "Bearer t"),
            ("origin", "https://ops.example"),
        ];
        assert!(api_write(&guarded, &headers(&with_token)).is_ok());
        assert_eq!(
            api_write(&guarded, &headers(&[("origin", "http://localhost")]))
                .unwrap_err()
                .status(),
            401
        );
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST:3000",
            "127.0.0.1",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:3000",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "[::1]x",
            "::1",
            "10.0.0.5:3000",
            "127.0.0.1:x",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
