//! `GET /segment/identify/user/{id}`, `GET /segment/track/user/{id}`,
//! `GET /segment/track/device/{id}`, `GET /segment/conversions/user/{id}`
//! and `GET /segment/group/account/{id}`: send to Segment, answer with what
//! happened.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use segment_client::SendReport;
use sma_store::Store;

use super::ApiError;
use super::auth::FeedAccess;
use super::extract::ApiId;
use crate::{App, FeedError};

pub async fn identify_user<S: Store>(
    State(app): State<App<S>>,
    _: FeedAccess,
    ApiId(id): ApiId,
) -> Result<Json<SendReport>, ApiError> {
    answer(within_deadline(app).feed_identify(&id).await)
}

pub async fn track_user<S: Store>(
    State(app): State<App<S>>,
    _: FeedAccess,
    ApiId(id): ApiId,
) -> Result<Json<SendReport>, ApiError> {
    answer(within_deadline(app).feed_user_touches(&id).await)
}

pub async fn track_device<S: Store>(
    State(app): State<App<S>>,
    _: FeedAccess,
    ApiId(id): ApiId,
) -> Result<Json<SendReport>, ApiError> {
    answer(within_deadline(app).feed_device_touches(&id).await)
}

pub async fn conversions_user<S: Store>(
    State(app): State<App<S>>,
    _: FeedAccess,
    ApiId(id): ApiId,
) -> Result<Json<SendReport>, ApiError> {
    answer(within_deadline(app).feed_user_conversions(&id).await)
}

pub async fn group_account<S: Store>(
    State(app): State<App<S>>,
    _: FeedAccess,
    ApiId(id): ApiId,
) -> Result<Json<SendReport>, ApiError> {
    answer(within_deadline(app).feed_group(&id).await)
}

/// The app with its Segment client bounded to most of the request deadline
/// (REQUEST_TIMEOUT_SECONDS): a slow or unreachable Segment then ends in the 502
/// report below, naming every undelivered message, before the deadline would cut
/// the request off with a bare 503. The rest of the deadline is left for reading
/// the store and answering.
fn within_deadline<S: Store>(mut app: App<S>) -> App<S> {
    let deadline = Duration::from_secs(app.settings.http.request_timeout_seconds.into());
    app.segment = app.segment.within(deadline.mul_f64(0.8));
    app
}

/// 200 with the report when everything was delivered (or it was a dry run); 502
/// with the same report when Segment did not take some of it.
fn answer(result: Result<SendReport, FeedError>) -> Result<Json<SendReport>, ApiError> {
    let report = result.map_err(|e| match e {
        FeedError::NotFound(what) => ApiError::not_found(what),
        FeedError::Store(e) => e.into(),
        FeedError::Message(e) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    })?;
    if report.is_complete() {
        return Ok(Json(report));
    }
    let summary = serde_json::to_value(&report).expect("reports serialise");
    Err(ApiError::new(
        StatusCode::BAD_GATEWAY,
        "Segment did not accept every message",
    )
    .with(summary))
}
