//! What the DynamoDB pipeline tests share: an App on fresh tables of DynamoDB
//! Local, API Gateway requests as Lambda delivers them, and the tables' real
//! stream records in the shape of Lambda's DynamoDB events.
#![allow(dead_code)] // each test file uses a part

pub mod apigw;
pub mod streams;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use sma_lambda::{DynamoDbEventResponse, LambdaApp, StreamEvent};

pub const HOW_TO_RUN: &str = "DYNAMODB_ENDPOINT is not set: the DynamoDB tests need DynamoDB Local \
(or another DynamoDB endpoint, with credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). Run them with
    scripts/dynamodb-local run cargo test -p sma-lambda
or start it once with `scripts/dynamodb-local start`, then
    eval \"$(scripts/dynamodb-local env)\" && cargo test -p sma-lambda";

/// The endpoint of the DynamoDB under test; fails (never skips) without one.
pub fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| panic!("{HOW_TO_RUN}"))
}

/// The App every function builds at start ([`sma_lambda::app_with`], as
/// `sma_lambda::app` does from the environment), on three new tables named as no
/// other test names them, with `settings` on top of the function's environment.
pub async fn fresh_app(settings: &[(&str, &str)]) -> LambdaApp {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let since_epoch = std::time::UNIX_EPOCH.elapsed().unwrap();
    let prefix = format!(
        "sma-lambda-{}-{}-{}",
        std::process::id(),
        since_epoch.as_micros(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut env: HashMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("DYNAMODB_ENDPOINT".into(), endpoint());
    env.insert("REGION".into(), "us-east-1".into());
    env.insert("EVENTS_TABLE".into(), format!("{prefix}-events"));
    env.insert("USER_MAP_TABLE".into(), format!("{prefix}-user-map"));
    env.insert("ATTRIBUTION_TABLE".into(), format!("{prefix}-attribution"));
    let app = sma_lambda::app_with(|name| env.get(name).cloned())
        .await
        .expect("the App builds from the function's settings");
    app.store.create_tables().await.expect("create the tables");
    app
}

pub const API_TOKEN: &str = "test-api-token-0123456789";
pub const SHARED_SECRET: &str = "webhook-secret";
pub const WRITE_KEY: &str = "segment-write-key";

/// A delivery of Segment's Webhooks (Actions) destination with batching on: a
/// JSON array, signed over the whole body (a signature of the first element
/// alone, as Segment's batching makes it, authenticates a batch of one only).
pub async fn deliver(app: &LambdaApp, messages: &[Value]) -> Value {
    let elements: Vec<String> = messages.iter().map(Value::to_string).collect();
    let body = format!("[{}]", elements.join(","));
    let signature = sma_spec::sign(SHARED_SECRET.as_bytes(), body.as_bytes());
    let headers = [
        ("content-type", "application/json"),
        ("x-signature", signature.as_str()),
    ];
    let request = apigw::request("POST", "/events", &headers, Some(&body));
    let (status, answer) = apigw::invoke(&sma_lambda::function_router(app.clone()), request).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Hands `records` to a stream consumer as one Lambda DynamoDB event.
pub async fn consume<C: sma_lambda::Consumer>(
    app: &LambdaApp,
    consumer: &C,
    records: &[&Value],
) -> Vec<String> {
    let event: StreamEvent =
        serde_json::from_value(streams::event(records)).expect("a DynamoDB event");
    let response = sma_lambda::handle_batch(app, consumer, None, event)
        .await
        .expect("a batch response");
    failures(&response)
}

/// The sequence numbers a partial batch response names, from its JSON as Lambda reads it.
pub fn failures(response: &DynamoDbEventResponse) -> Vec<String> {
    let json = serde_json::to_value(response).unwrap();
    json["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures")
        .iter()
        .map(|f| {
            f["itemIdentifier"]
                .as_str()
                .expect("itemIdentifier")
                .to_owned()
        })
        .collect()
}

pub fn page(
    id: &str,
    anonymous_id: &str,
    user_id: Option<&str>,
    url: &str,
    referrer: &str,
    at: &str,
) -> Value {
    let mut page = json!({
        "type": "page", "messageId": id, "anonymousId": anonymous_id, "timestamp": at,
        "properties": {"url": url, "referrer": referrer, "path": "/"},
        "context": {
            "page": {"url": url, "referrer": referrer},
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15",
            "library": {"name": "analytics.js", "version": "next-1.66.0"}
        },
        "receivedAt": at, "sentAt": at, "originalTimestamp": at
    });
    if let Some(user_id) = user_id {
        page["userId"] = json!(user_id);
    }
    page
}

pub fn identify(id: &str, anonymous_id: &str, user_id: &str, at: &str) -> Value {
    json!({
        "type": "identify", "messageId": id, "anonymousId": anonymous_id, "userId": user_id,
        "traits": {"email": "ada@example.com", "plan": "pro"}, "timestamp": at,
        "context": {"library": {"name": "analytics.js", "version": "next-1.66.0"}}
    })
}

/// An App in real-time mode that feeds `segment`, with every secret set.
pub async fn realtime_app(segment: &segment_client::recorder::Recorder) -> LambdaApp {
    realtime_app_with(segment, &[]).await
}

/// [`realtime_app`] with `settings` on top.
pub async fn realtime_app_with(
    segment: &segment_client::recorder::Recorder,
    settings: &[(&str, &str)],
) -> LambdaApp {
    let url = segment.url();
    let mut all = vec![
        ("API_TOKEN", API_TOKEN),
        ("SEGMENT_SHARED_SECRET", SHARED_SECRET),
        ("REALTIME_FEED", "true"),
        ("ANALYTICS_WRITE_KEY", WRITE_KEY),
        ("SEGMENT_ENDPOINT", url.as_str()),
    ];
    all.extend_from_slice(settings);
    fresh_app(&all).await
}
