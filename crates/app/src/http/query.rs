//! `GET /api/anonymous/{id}` and `GET /api/user/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use sma_store::Store;

use super::{ApiError, auth};
use crate::{App, DeviceView, UserView};

pub async fn device<S: Store>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<DeviceView>, ApiError> {
    auth::query(&app.settings, &headers)?;
    app.device(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no anonymousId {id:?}")))
}

pub async fn user<S: Store>(
    State(app): State<App<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<UserView>, ApiError> {
    auth::query(&app.settings, &headers)?;
    app.user(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no userId {id:?}")))
}
