//! The HTTP surface: one Router for every route, in both shapes.

mod auth;
mod body;
mod dashboard;
mod error;
mod extract;
mod feed;
mod intake;
mod limits;
mod query;
mod report;
mod spend;

use axum::Router;
use axum::routing::{get, post};
use sma_store::Store;

use crate::App;
pub use body::Budget;
pub use error::ApiError;
pub use limits::{Deadline, MAX_HEADER_BYTES, MAX_URL_BYTES};

/// Every route of sma. The Lambda functions each serve this same Router; API
/// Gateway only sends each one its own paths.
pub fn router<S: Store>(app: App<S>) -> Router {
    let timeout = std::time::Duration::from_secs(app.settings.http.request_timeout_seconds.into());
    Router::new()
        .route("/", get(dashboard::page))
        .route("/dashboard.js", get(dashboard::script))
        .route("/dashboard.css", get(dashboard::style))
        .route("/health", get(health))
        .route("/events", post(intake::webhook::<S>))
        .route("/v1/{kind}", post(intake::tracking_api::<S>))
        .route("/api/user/{id}", get(query::user::<S>))
        .route("/api/device/{id}", get(query::device::<S>))
        // The earlier paths of the device routes, for clients that use them.
        .route("/api/anonymous/{id}", get(query::device::<S>))
        .route("/api/account/{id}", get(query::account::<S>))
        .route("/api/report", get(report::report::<S>))
        .route("/api/report/compare", get(report::compare::<S>))
        .route("/api/report/paths", get(report::paths::<S>))
        .route("/api/report/funnel", get(report::funnel::<S>))
        .route("/api/report/series", get(report::series::<S>))
        .route("/api/spend", post(spend::import::<S>))
        .route("/segment/identify/user/{id}", get(feed::identify_user::<S>))
        .route("/segment/track/user/{id}", get(feed::track_user::<S>))
        .route("/segment/track/device/{id}", get(feed::track_device::<S>))
        .route(
            "/segment/track/anonymous/{id}",
            get(feed::track_device::<S>),
        )
        .route(
            "/segment/conversions/user/{id}",
            get(feed::conversions_user::<S>),
        )
        .route("/segment/group/account/{id}", get(feed::group_account::<S>))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            limits::enforce,
        ))
        .layer(axum::middleware::map_response(not_cached))
        .with_state(app)
}

/// Every answer, errors included: reports and journeys are personal data that
/// no cache should keep, and JSON that no browser should read as anything else.
async fn not_cached(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
