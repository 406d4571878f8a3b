//! Building the application once per process, from the function's environment
//! (the settings `template.yaml` passes to every function).
//!
//! Everything costly is made here, before the first invocation, and shared by all
//! later ones: the settings, the detection rules, the DynamoDB client (its
//! connection pool and credentials cache) and the Segment client.

use std::collections::HashMap;

use sma_app::{App, Settings};
use sma_store_dynamodb::DynamoStore;

use crate::{Error, secrets};

/// The application on the three DynamoDB tables named by the environment
/// (`EVENTS_TABLE`, `USER_MAP_TABLE`, `ATTRIBUTION_TABLE`, in `REGION`, or at
/// `DYNAMODB_ENDPOINT` when set), in the AWS shape: intake only stores, and the
/// stream consumers run the pipeline. Secrets are read from the SSM parameters
/// the environment names ([`secrets`]). A missing or malformed setting fails
/// with a message naming it, which is also logged.
pub async fn app() -> Result<App<DynamoStore>, Error> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let env = if secrets::any_referenced(&env) {
        let region = env
            .get("REGION")
            .cloned()
            .unwrap_or_else(|| "us-east-1".into());
        let ssm = aws_sdk_ssm::Client::new(&sma_store_dynamodb::sdk_config(region, None).await);
        let resolved = secrets::resolve(env, &ssm).await;
        if let Err(e) = &resolved {
            tracing::error!(error = %e, "cannot start");
        }
        resolved?
    } else {
        env
    };
    app_with(|name| env.get(name).cloned()).await
}

/// [`app`] with the settings read through `lookup` instead of the process
/// environment (tests point it at their own tables).
pub async fn app_with(lookup: impl Fn(&str) -> Option<String>) -> Result<App<DynamoStore>, Error> {
    let built = build(&lookup).await;
    if let Err(e) = &built {
        tracing::error!(error = %e, "cannot start");
    }
    built
}

async fn build(lookup: &impl Fn(&str) -> Option<String>) -> Result<App<DynamoStore>, Error> {
    let settings = Settings::from_lookup(lookup)?;
    let store = DynamoStore::from_env(
        settings.store.region.clone(),
        settings.store.dynamodb_endpoint.clone(),
        settings.store.dynamodb_tables(),
    )
    .await
    // EVENTS_TTL_DAYS: raw events expire through DynamoDB TTL; 0 keeps them.
    .with_events_ttl_days(settings.store.events_ttl_days);
    Ok(App::new(settings, store)?.streamed())
}

/// The failure queue `FAILURE_QUEUE_URL` names, if any: where a stream consumer
/// leaves the records it gives up on.
pub async fn failure_queue(app: &App<DynamoStore>) -> Option<sma_failure_queue::FailureQueue> {
    let url = std::env::var("FAILURE_QUEUE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    let config = sma_store_dynamodb::sdk_config(app.settings.store.region.clone(), None).await;
    let client = sma_failure_queue::aws_sdk_sqs::Client::new(&config);
    Some(sma_failure_queue::FailureQueue::new(client, url))
}
