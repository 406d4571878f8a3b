//! `POST /events` (Segment webhook destination) and `POST /v1/{kind}` (Segment's
//! Tracking API, so its client libraries can point straight at sma).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_ENCODING;
use axum::http::{HeaderMap, StatusCode};
use sma_spec::MessageType;
use sma_store::Store;

use super::auth::TrackingAccess;
use super::extract::ApiPath;
use super::{ApiError, auth};
use crate::{App, IngestSummary};

pub async fn webhook<S: Store>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestSummary>, ApiError> {
    let body = read(body, &headers, app.settings.max_body_bytes)?;
    auth::webhook(&app.settings, &headers, &body)?;
    ingest(&app, &body, None).await
}

pub async fn tracking_api<S: Store>(
    State(app): State<App<S>>,
    _: TrackingAccess,
    ApiPath(kind): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestSummary>, ApiError> {
    let implied = match kind.as_str() {
        "batch" | "b" | "import" => None,
        other => Some(
            MessageType::parse(other)
                .filter(|t| *t != MessageType::Delete)
                .ok_or_else(|| ApiError::not_found(format!("no Tracking API method {other:?}")))?,
        ),
    };
    let body = read(body, &headers, app.settings.max_body_bytes)?;
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

/// The body, or the reason it could not be read (too large: 413). A gzip body
/// (`Content-Encoding: gzip`, an option of Segment's libraries) is inflated, and the
/// size limit applies to the inflated bytes too, so a small bomb cannot blow up.
fn read(
    body: Result<Bytes, BytesRejection>,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(
                status,
                format!("cannot read body: {}", rejection.body_text()),
            )
        }
    })?;
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("" | "identity") => Ok(body),
        Some("gzip") => gunzip(&body, limit),
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Encoding {other:?}; use gzip or none"),
        )),
    }
}

fn gunzip(body: &[u8], limit: usize) -> Result<Bytes, ApiError> {
    use std::io::Read;
    let mut inflated = Vec::new();
    let read = flate2::read::MultiGzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("body is not valid gzip: {e}"),
            )
        })?;
    if read > limit {
        return Err(too_large());
    }
    Ok(Bytes::from(inflated))
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body is larger than the limit (MAX_BODY_BYTES)",
    )
}
