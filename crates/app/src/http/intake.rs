//! `POST /events` (Segment webhook destination) and `POST /v1/{kind}` (Segment's
//! Tracking API, so its client libraries can point straight at sma).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use sma_spec::MessageType;
use sma_store::Store;

use super::{ApiError, auth};
use crate::{App, IngestSummary};

pub async fn webhook<S: Store>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestSummary>, ApiError> {
    let body = read(body)?;
    auth::webhook(&app.settings, &headers, &body)?;
    ingest(&app, &body, None).await
}

pub async fn tracking_api<S: Store>(
    State(app): State<App<S>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestSummary>, ApiError> {
    auth::tracking_api(&app.settings, &headers)?;
    let implied = match kind.as_str() {
        "batch" | "b" | "import" => None,
        other => Some(
            MessageType::parse(other)
                .filter(|t| *t != MessageType::Delete)
                .ok_or_else(|| ApiError::not_found(format!("no Tracking API method {other:?}")))?,
        ),
    };
    let body = read(body)?;
    ingest(&app, &body, implied).await
}

async fn ingest<S: Store>(
    app: &App<S>,
    body: &[u8],
    implied: Option<MessageType>,
) -> Result<Json<IngestSummary>, ApiError> {
    let summary = app.ingest(body, implied).await?;
    if summary.nothing_usable() {
        let first = &summary.rejected[0].error;
        let extra = serde_json::to_value(&summary).expect("summary serialises");
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("no valid message: {first}"),
        )
        .with(extra));
    }
    Ok(Json(summary))
}

/// The body, or the reason it could not be read (too large: 413).
fn read(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body is larger than the limit (MAX_BODY_BYTES)".to_owned()
        } else {
            format!("cannot read body: {}", rejection.body_text())
        };
        ApiError::new(status, message)
    })
}
