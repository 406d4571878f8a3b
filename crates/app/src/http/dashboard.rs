//! `GET /`: the dashboard, a static page whose script reads the report API from
//! the browser with the user's token. Its files are compiled in, so the local
//! binary and the Lambda function serve the same page with nothing beside them.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Only the page's own files, no inline script or style, no frames: a token
/// typed into this page must not be readable by anything injected into it.
const POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

pub async fn page() -> Response {
    asset(
        "text/html; charset=utf-8",
        include_str!("../../assets/dashboard.html"),
    )
}

pub async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard.js"),
    )
}

pub async fn style() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard.css"),
    )
}
