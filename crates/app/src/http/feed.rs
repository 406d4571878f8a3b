//! `GET /segment/identify/user/{id}`, `GET /segment/track/user/{id}` and
//! `GET /segment/track/anonymous/{id}`: send to Segment, answer with what happened.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use segment_client::SendReport;
use sma_store::Store;

use super::{ApiError, auth};
use crate::{App, FeedError};

pub async fn identify_user<S: Store>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SendReport>, ApiError> {
    auth::query(&app.settings, &headers)?;
    answer(app.feed_identify(&id).await)
}

pub async fn track_user<S: Store>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SendReport>, ApiError> {
    auth::query(&app.settings, &headers)?;
    answer(app.feed_user_touches(&id).await)
}

pub async fn track_device<S: Store>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SendReport>, ApiError> {
    auth::query(&app.settings, &headers)?;
    answer(app.feed_device_touches(&id).await)
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
