//! `GET /api/anonymous/{id}` and `GET /api/user/{id}`.

use axum::Json;
use axum::extract::State;
use sma_store::Store;

use super::ApiError;
use super::auth::ReadAccess;
use super::extract::ApiId;
use crate::{App, DeviceView, UserView};

pub async fn device<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiId(id): ApiId,
) -> Result<Json<DeviceView>, ApiError> {
    app.device(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no anonymousId {id:?}")))
}

pub async fn user<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiId(id): ApiId,
) -> Result<Json<UserView>, ApiError> {
    app.user(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no userId {id:?}")))
}
