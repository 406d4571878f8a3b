//! Limits every request meets before a handler sees it: URL and header size, and a
//! deadline. Each answers with its own status and a JSON error that names it.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// Longest request target (path and query) accepted: ids are short, and a report
/// query needs a few dozen bytes.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Largest total of header names and values accepted.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

pub async fn enforce(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    let url = request.uri().to_string().len();
    if url > MAX_URL_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("URL is {url} bytes; the limit is {MAX_URL_BYTES}"),
        )
        .into_response();
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("headers are {headers} bytes; the limit is {MAX_HEADER_BYTES}"),
        )
        .into_response();
    }
    // Whatever was stored before the deadline stays stored; a retry of the same
    // messageIds is then counted as duplicates, so nothing is lost or doubled.
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "request took longer than {} s (REQUEST_TIMEOUT_SECONDS); retry",
                timeout.as_secs()
            ),
        )
        .into_response(),
    }
}
