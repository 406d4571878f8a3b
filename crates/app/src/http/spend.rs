//! `POST /api/spend`: ad spend rows, as CSV (`text/csv`) or a JSON array of
//! row objects (`application/json`), the same as `sma spend import`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use sma_store::Store;

use super::auth::WriteAccess;
use super::{ApiError, body};
use crate::{App, SpendError, SpendInput, SpendSummary};

enum Format {
    Csv,
    Json,
}

pub async fn import<S: Store>(
    State(app): State<App<S>>,
    _: WriteAccess,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SpendSummary>, ApiError> {
    let format = format(&headers)?;
    // The headers authenticated the caller: no shared budget to hold.
    let read = body::read(body, &headers, &app.settings.http, None).await?;
    let input = match format {
        Format::Csv => SpendInput::Csv(std::str::from_utf8(&read.bytes).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("CSV is not UTF-8: {e}"))
        })?),
        Format::Json => SpendInput::Json(&read.bytes),
    };
    let summary = app.import_spend(input).await.map_err(|e| match e {
        SpendError::Unreadable(why) => ApiError::new(StatusCode::BAD_REQUEST, why),
        SpendError::Store(e) => e.into(),
    })?;
    if summary.stored == 0 {
        let why = summary
            .rejections
            .first()
            .map_or("no rows".to_owned(), |r| r.error.clone());
        let extra = serde_json::to_value(&summary).expect("summary serialises");
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, format!("no row stored: {why}")).with(extra),
        );
    }
    Ok(Json(summary))
}

/// Only the two types a browser page cannot post to another site without
/// asking it first (CORS), which sma never grants.
fn format(headers: &HeaderMap) -> Result<Format, ApiError> {
    let given = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match given.as_deref() {
        Some("text/csv") => Ok(Format::Csv),
        Some("application/json") => Ok(Format::Json),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {}: send text/csv or application/json",
                other.unwrap_or("missing")
            ),
        )),
    }
}
