//! `GET /api/device/{id}`, `GET /api/user/{id}` and `GET /api/account/{id}`.

use axum::Json;
use axum::extract::State;
use sma_store::Store;

use super::ApiError;
use super::auth::ReadAccess;
use super::extract::ApiId;
use crate::{AccountView, App, DeviceView, UserView};

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

pub async fn account<S: Store>(
    State(app): State<App<S>>,
    _: ReadAccess,
    ApiId(id): ApiId,
) -> Result<Json<AccountView>, ApiError> {
    app.account(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no account (groupId) {id:?}")))
}
