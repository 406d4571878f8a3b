//! On AWS a function's secrets come from SSM Parameter Store, read once at
//! start through the SSM API (here a local stand-in that speaks its JSON
//! protocol), never from the function's environment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::support::{apigw, fresh_app};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// SSM's GetParameters over its JSON protocol, from a fixed set of parameters;
/// records every request body.
#[derive(Clone, Default)]
struct Ssm {
    parameters: HashMap<String, String>,
    requests: Arc<Mutex<Vec<Value>>>,
}

async fn ssm_api(State(ssm): State<Ssm>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let target = headers["x-amz-target"].to_str().unwrap().to_owned();
    assert_eq!(target, "AmazonSSM.GetParameters");
    let request: Value = serde_json::from_str(&body).unwrap();
    ssm.requests.lock().unwrap().push(request.clone());
    let (mut found, mut invalid) = (Vec::new(), Vec::new());
    for name in request["Names"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        match ssm.parameters.get(name) {
            Some(value) => found.push(json!({
                "Name": name, "Type": "SecureString", "Value": value, "Version": 1
            })),
            None => invalid.push(json!(name)),
        }
    }
    (
        [("content-type", "application/x-amz-json-1.1")],
        json!({"Parameters": found, "InvalidParameters": invalid}).to_string(),
    )
}

async fn start(ssm: Ssm) -> aws_sdk_ssm::Client {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/", axum::routing::post(ssm_api))
        .with_state(ssm);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = sma_store_dynamodb::sdk_config("us-east-1".into(), Some(url)).await;
    let credentials = aws_sdk_ssm::config::Credentials::new("test", "test", None, None, "test");
    let config = aws_sdk_ssm::config::Builder::from(&config)
        .credentials_provider(credentials)
        .build();
    aws_sdk_ssm::Client::from_conf(config)
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn dynamodb_the_api_token_is_read_from_ssm_at_start_and_guards_the_api() {
    let ssm = Ssm {
        parameters: HashMap::from([("/sma/test/api-token".into(), "token-from-ssm-0123".into())]),
        ..Ssm::default()
    };
    let client = start(ssm.clone()).await;
    let resolved = sma_lambda::secrets::resolve(
        env(&[
            ("API_TOKEN_PARAMETER", "/sma/test/api-token"),
            ("STAGE", "test"),
        ]),
        &client,
    )
    .await
    .unwrap();
    assert_eq!(resolved["API_TOKEN"], "token-from-ssm-0123");
    assert_eq!(resolved["STAGE"], "test", "other settings are kept");
    let requests = ssm.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "one call at start: {requests:?}");
    assert_eq!(requests[0]["WithDecryption"], json!(true));

    let app = fresh_app(&[("API_TOKEN", &resolved["API_TOKEN"])]).await;
    let router = sma_lambda::function_router(app);
    let lookup =
        |headers: &[(&str, &str)]| apigw::request("GET", "/api/user/nobody", headers, None);
    let (status, _) = apigw::invoke(&router, lookup(&[])).await;
    assert_eq!(status, 401);
    let bearer = [("authorization", "Bearer token-from-ssm-0123")];
    let (status, _) = apigw::invoke(&router, lookup(&bearer)).await;
    assert_eq!(status, 404, "the token from SSM is accepted");
}

#[tokio::test]
async fn a_missing_parameter_stops_the_start_with_its_name() {
    let client = start(Ssm::default()).await;
    let error = sma_lambda::secrets::resolve(
        env(&[("FEED_TOKEN_PARAMETER", "/sma/test/feed-token")]),
        &client,
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("/sma/test/feed-token"),
        "{error}"
    );
}
