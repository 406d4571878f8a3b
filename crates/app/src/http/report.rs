//! The reports: `GET /api/report` (channels under one model) and
//! `/api/report/{compare,paths,funnel,series}`. Each reads the ledger's
//! totals; a bad parameter answers 400 naming it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use sma_store::Store;

use super::ApiError;
use super::auth::ReadAccess;
use super::extract::ApiQuery;
use crate::{
    App, CompareView, FunnelView, PathsRequest, PathsView, Period, ReportRequest, ReportView,
    SeriesRequest, SeriesView, parse_models,
};

#[derive(Debug, Deserialize)]
pub struct Params {
    model: Option<String>,
    models: Option<String>,
    from: Option<String>,
    to: Option<String>,
    order: Option<String>,
    markov_value: Option<String>,
    converted: Option<String>,
    limit: Option<String>,
    interval: Option<String>,
}

impl Params {
    fn model(&self) -> &str {
        self.model.as_deref().unwrap_or("last_non_direct")
    }

    fn period(&self) -> Result<Period, ApiError> {
        Period::parse(self.from.as_deref(), self.to.as_deref()).map_err(bad_request)
    }
}

fn bad_request(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

pub async fn report<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Json<ReportView>, ApiError> {
    let request =
        ReportRequest::parse(params.model(), params.from.as_deref(), params.to.as_deref())
            .and_then(|r| {
                r.with_markov_options(params.order.as_deref(), params.markov_value.as_deref())
            })
            .map_err(bad_request)?;
    Ok(Json(app.report_view(&request).await?))
}

pub async fn compare<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Json<CompareView>, ApiError> {
    let models = parse_models(params.models.as_deref()).map_err(bad_request)?;
    Ok(Json(app.compare(params.period()?, &models).await?))
}

pub async fn paths<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Json<PathsView>, ApiError> {
    let request = PathsRequest::parse(
        params.from.as_deref(),
        params.to.as_deref(),
        params.converted.as_deref(),
        params.limit.as_deref(),
    )
    .map_err(bad_request)?;
    Ok(Json(app.paths(&request).await?))
}

pub async fn funnel<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Json<FunnelView>, ApiError> {
    Ok(Json(app.funnel(params.period()?).await?))
}

pub async fn series<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Json<SeriesView>, ApiError> {
    let request = SeriesRequest::parse(
        params.model(),
        params.from.as_deref(),
        params.to.as_deref(),
        params.interval.as_deref(),
    )
    .map_err(bad_request)?;
    Ok(Json(app.series(&request).await?))
}
