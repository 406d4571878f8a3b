//! The HTTP functions: the one axum Router of sma, behind API Gateway's HTTP API
//! (payload format 2.0), through `lambda_http`.

use axum::Router;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

use crate::{Error, LambdaApp};

/// Serves every route of sma until the runtime stops the process. API Gateway
/// sends each function only its own routes (`template.yaml`), so the same Router
/// serves `store-event` and `api`.
pub async fn serve_http(app: LambdaApp) -> Result<(), Error> {
    lambda_http::run(sma_app::router(app)).await
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
