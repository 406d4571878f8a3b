//! Limits every request meets before a handler sees it: URL and header size, and a
//! deadline. Each answers with its own status and a JSON error that names it.

use std::time::{Duration, Instant};

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

/// When the platform in front of sma stops waiting for an answer (on Lambda, the
/// invocation's deadline, which API Gateway's own timeout bounds), as a request
/// extension: a request is answered 503 by then, even if `REQUEST_TIMEOUT_SECONDS`
/// is longer, so the caller gets sma's retryable answer and not the platform's.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Instant);

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
    let platform = request
        .extensions()
        .get::<Deadline>()
        .map(|Deadline(at)| at.saturating_duration_since(Instant::now()))
        .filter(|left| *left < timeout);
    let (budget, bound) = match platform {
        Some(left) => (left, "the platform's deadline"),
        None => (timeout, "REQUEST_TIMEOUT_SECONDS"),
    };
    // Whatever was stored before the deadline stays stored; a retry of the same
    // messageIds is then counted as duplicates, so nothing is lost or doubled.
    match tokio::time::timeout(budget, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "request took longer than {:.1} s ({bound}); retry",
                budget.as_secs_f64()
            ),
        )
        .into_response(),
    }
}
