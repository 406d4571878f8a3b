//! What the DynamoDB pipeline tests share: an App on fresh tables of DynamoDB
//! Local, API Gateway requests as Lambda delivers them, and the tables' real
//! stream records in the shape of Lambda's DynamoDB events.
#![allow(dead_code)] // each test file uses a part

pub mod apigw;
pub mod streams;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use sma_lambda::LambdaApp;

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
