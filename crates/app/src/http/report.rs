//! `GET /api/report?model=M&from=&to=`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use sma_store::Store;

use super::{ApiError, auth};
use crate::{App, ReportRequest, ReportView};

#[derive(Debug, Deserialize)]
pub struct Params {
    model: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn report<S: Store>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<ReportView>, ApiError> {
    auth::query(&app.settings, &headers)?;
    let request = ReportRequest::parse(
        params.model.as_deref().unwrap_or("last_non_direct"),
        params.from.as_deref(),
        params.to.as_deref(),
    )
    .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(app.report_view(&request).await?))
}
