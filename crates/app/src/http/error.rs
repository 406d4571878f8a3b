use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sma_store::StoreError;

use crate::IntakeError;

/// An error answer: a status and a JSON body `{"error": "..."}` that names the
/// problem without leaking internals.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    extra: Option<serde_json::Value>,
    /// The connection is closed after the answer: part of the request (a body)
    /// may still be on its way, and reading it is what the answer refuses.
    closing: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            extra: None,
            closing: false,
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// Asks for the connection to be closed after the answer.
    pub fn closing(mut self) -> ApiError {
        self.closing = true;
        self
    }

    /// Adds fields (e.g. an intake summary) beside `error`.
    pub fn with(mut self, extra: serde_json::Value) -> ApiError {
        self.extra = Some(extra);
        self
    }
}

#[cfg(test)]
impl ApiError {
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "store error");
        if e.is_retryable() {
            // 503 makes Segment retry the delivery later: nothing is lost.
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store unavailable, retry later",
            )
        } else {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> ApiError {
        match e {
            IntakeError::Body(body) => ApiError::new(StatusCode::BAD_REQUEST, body.to_string()),
            too_many @ IntakeError::TooManyMessages(..) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, too_many.to_string())
            }
            IntakeError::Store(store) => store.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.message});
        if let Some(serde_json::Value::Object(extra)) = self.extra {
            body.as_object_mut().expect("object").extend(extra);
        }
        let mut response = (self.status, Json(body)).into_response();
        match self.status {
            StatusCode::UNAUTHORIZED => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        if self.closing {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
