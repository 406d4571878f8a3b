//! The HTTP functions: the one axum Router of sma, behind API Gateway's HTTP API
//! (payload format 2.0), through `lambda_http`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use sma_app::Deadline;

use crate::{Error, LambdaApp};

/// How long before the invocation's deadline a request still running is answered
/// 503: time for that answer to travel back through the runtime and API Gateway.
const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// Serves every route of sma until the runtime stops the process. API Gateway
/// sends each function only its own routes (`template.yaml`), so the same Router
/// serves `intake` and `api`.
pub async fn serve_http(app: LambdaApp) -> Result<(), Error> {
    lambda_http::run(function_router(app)).await
}

/// sma's Router as a function serves it: each request carries its invocation's
/// deadline ([`Deadline`]), so a slow request is answered 503 with `Retry-After`
/// before Lambda stops the function and API Gateway gives up on it. The deadline
/// comes from the platform (the function's timeout, under the gateway's), so no
/// setting can put it past the gateway's.
pub fn function_router(app: LambdaApp) -> Router {
    sma_app::router(app)
        .layer(axum::middleware::from_fn(intake_metrics))
        .layer(axum::middleware::from_fn(platform_deadline))
}

/// Publishes the counts of an intake answer (`/events`, `/v1/*`) as metrics.
async fn intake_metrics(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path != "/events" && !path.starts_with("/v1/") {
        return next.run(request).await;
    }
    let (parts, body) = next.run(request).await.into_parts();
    // The answer is a JSON summary already in memory, read back whole (no limit
    // may cut it); reading it cannot fail but for a body that streams.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Ok(summary) = serde_json::from_slice::<Value>(&bytes) {
        let count = |field: &str| match &summary[field] {
            Value::Array(items) => items.len(),
            other => other.as_u64().map_or(0, |n| n as usize),
        };
        if summary.get("accepted").is_some() {
            crate::metrics::emit(&[
                ("EventsStored", count("accepted")),
                ("DuplicatesSeen", count("duplicates")),
                ("MessagesRejected", count("rejected")),
            ]);
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

async fn platform_deadline(mut request: Request, next: Next) -> Response {
    // lambda_http puts the invocation's context into every request it builds.
    if let Some(at) = request.extensions().get::<Context>().and_then(deadline_of) {
        request.extensions_mut().insert(Deadline(at));
    }
    next.run(request).await
}

/// The instant to answer by, or None for a context without a deadline (0).
fn deadline_of(context: &Context) -> Option<Instant> {
    if context.deadline == 0 {
        return None;
    }
    let now = u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_millis(),
    )
    .ok()?;
    let left = Duration::from_millis(context.deadline.saturating_sub(now));
    Some(Instant::now() + left.saturating_sub(DEADLINE_MARGIN))
}

/// Answers one invocation carrying an API Gateway request (the JSON Lambda
/// delivers) with the Router, and returns the response JSON API Gateway expects.
///
/// The conversion both ways is `lambda_http`'s own: its request type and the
/// adapter that [`lambda_http::run`] wraps a Router in, so a function that must
/// also take other events (`segment-feed`) answers HTTP exactly as
/// [`serve_http`] does.
pub async fn answer_http(router: Router, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    let request: LambdaRequest = serde_json::from_value(payload)?;
    let response = lambda_http::Adapter::from(router)
        .oneshot(LambdaEvent::new(request, context))
        .await?;
    Ok(serde_json::to_value(response)?)
}
