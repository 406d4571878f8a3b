//! `GET /api/report?model=M&from=&to=&order=&markov_value=`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use sma_store::Store;

use super::ApiError;
use super::auth::ReadAccess;
use super::extract::ApiQuery;
use crate::{App, ReportRequest, ReportView};

#[derive(Debug, Deserialize)]
pub struct Params {
    model: Option<String>,
    from: Option<String>,
    to: Option<String>,
    order: Option<String>,
    markov_value: Option<String>,
}

pub async fn report<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Json<ReportView>, ApiError> {
    let request = ReportRequest::parse(
        params.model.as_deref().unwrap_or("last_non_direct"),
        params.from.as_deref(),
        params.to.as_deref(),
    )
    .and_then(|r| r.with_markov_options(params.order.as_deref(), params.markov_value.as_deref()))
    .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(app.report_view(&request).await?))
}
