//! Extractors whose rejections are the JSON [`ApiError`] every other answer uses:
//! axum's own `Path` and `Query` answer `text/plain`, which clients (and the
//! OpenAPI description) do not expect. Handlers take these instead, after their
//! auth extractor, so a caller without credentials learns nothing about parameters.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;

/// `axum::extract::Path`, rejected as a JSON 400 (`/api/user/%FF`: not UTF-8).
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query`, rejected as a JSON 400 (`?model=a&model=b`: a field
/// given twice).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(r) => Err(rejected("path parameter", r.status(), &r.body_text())),
        }
    }
}

/// An id from the path (`/api/user/{id}` …), trimmed as intake trims ids, so
/// `%20u1` finds what `" u1"` stored as `u1`.
#[derive(Debug)]
pub struct ApiId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiPath(id) = ApiPath::<String>::from_request_parts(parts, state).await?;
        Ok(ApiId(id.trim().to_owned()))
    }
}

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(r) => Err(rejected("query string", r.status(), &r.body_text())),
        }
    }
}

/// The one mapping of an axum rejection to an answer. axum says 5xx only when the
/// route and the handler's types disagree (a bug here, not the caller's doing):
/// that is logged and answered as the usual opaque 500. Every other rejection is
/// the caller's input: a 400 that repeats axum's explanation, which names the
/// parameter and never echoes more than the caller sent.
fn rejected(what: &str, status: StatusCode, detail: &str) -> ApiError {
    if status.is_server_error() {
        tracing::error!(%status, detail, "{what} extractor does not fit its route");
        return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    }
    ApiError::new(StatusCode::BAD_REQUEST, format!("invalid {what}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_rejections_are_400_and_server_ones_are_opaque_500() {
        let client = rejected("query string", StatusCode::UNPROCESSABLE_ENTITY, "dup");
        assert_eq!(client.status(), StatusCode::BAD_REQUEST);
        assert_eq!(client.message(), "invalid query string: dup");
        let server = rejected("path parameter", StatusCode::INTERNAL_SERVER_ERROR, "x");
        assert_eq!(server.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(server.message(), "internal error");
    }
}
