//! One function, two kinds of event: `segment-feed` serves its HTTP routes and,
//! in real-time mode, the ATTRIBUTION stream. Lambda hands a function any JSON,
//! so the invocation is told apart by its shape: a stream batch has `Records`,
//! an API Gateway request never does.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use crate::http::answer_http;
use crate::stream::{Consumer, handle_batch};
use crate::{Error, LambdaApp, StreamEvent};

/// Serves the Router for API Gateway requests and runs `consumer` on stream
/// batches, until the runtime stops the process.
pub async fn serve_http_and_stream<C: Consumer>(app: LambdaApp, consumer: C) -> Result<(), Error> {
    let router = crate::function_router(app.clone());
    let shared = Arc::new((app, router, consumer));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let shared = Arc::clone(&shared);
        // Boxed for the same reason as in `run_stream`: the nesting depth. Not
        // `Send`: lambda_http's response conversion is not, and the runtime
        // awaits each invocation in place, on the one thread.
        Box::pin(async move {
            let (app, router, consumer) = &*shared;
            dispatch(app, router.clone(), consumer, event).await
        }) as Pin<Box<dyn Future<Output = _>>>
    }))
    .await
}

/// Answers one invocation: a stream batch with [`handle_batch`] (its partial
/// batch response as JSON), anything else as an API Gateway request.
pub async fn dispatch<C: Consumer>(
    app: &LambdaApp,
    router: Router,
    consumer: &C,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    if event.payload.get("Records").is_some() {
        let batch: StreamEvent = serde_json::from_value(event.payload)?;
        // No failure queue: what the feed could not send is not re-derived but
        // re-sent, so a failed batch is left to Lambda's retries.
        let response = handle_batch(app, consumer, None, batch).await?;
        Ok(serde_json::to_value(response)?)
    } else {
        answer_http(router, event).await
    }
}
