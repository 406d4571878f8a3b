//! `POST /events` (Segment webhook destination) and `POST /v1/{kind}` (Segment's
//! Tracking API, so its client libraries can point straight at sma).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sma_spec::MessageType;
use sma_store::Store;

use super::auth::{Caller, TrackingAccess};
use super::extract::ApiPath;
use super::{ApiError, auth, body};
use crate::{App, IntakeSummary};

pub async fn webhook<S: Store>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IntakeSummary>, ApiError> {
    let caller = auth::webhook_headers(&app.settings.auth, &headers)?;
    let read = body::read(body, &headers, &app.settings.http, app.budget_for(caller)).await?;
    auth::webhook(&app.settings.auth, caller, &headers, &read.bytes)?;
    drop(read.held);
    take_in(&app, &read.bytes, None).await
}

pub async fn tracking_api<S: Store>(
    State(app): State<App<S>>,
    TrackingAccess(caller): TrackingAccess,
    ApiPath(kind): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IntakeSummary>, ApiError> {
    let implied = match kind.as_str() {
        "batch" | "b" | "import" => None,
        other => Some(
            MessageType::parse(other)
                .filter(|t| *t != MessageType::Delete)
                .ok_or_else(|| ApiError::not_found(format!("no Tracking API method {other:?}")))?,
        ),
    };
    let read = body::read(body, &headers, &app.settings.http, app.budget_for(caller)).await?;
    drop(read.held);
    take_in(&app, &read.bytes, implied).await
}

async fn take_in<S: Store>(
    app: &App<S>,
    body: &[u8],
    implied: Option<MessageType>,
) -> Result<Json<IntakeSummary>, ApiError> {
    let summary = app.intake(body, implied).await?;
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

impl<S> App<S> {
    fn budget_for(&self, caller: Caller) -> Option<&body::Budget> {
        (caller == Caller::Unverified).then_some(&*self.unauthenticated)
    }
}
