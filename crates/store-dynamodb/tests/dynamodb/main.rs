//! The store contract against DynamoDB (DynamoDB Local in tests: the endpoint in
//! `DYNAMODB_ENDPOINT`), plus what only the DynamoDB adapter has: the item
//! attributes the stream filters match, and the capacity units that one page
//! event, one identify and one conversion lookup consume; and, against a
//! scripted server, what the adapter does when DynamoDB throttles.
//!
//! Every test creates its own three tables under a fresh name prefix, so the
//! tests run in parallel on one DynamoDB Local.

use sma_store::testing as contract;

mod erasure;
mod large;
mod metering;
mod pages;
mod settlement;
mod throttling;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::{Client, Config};
use chrono::{TimeZone, Utc};
use serde_json::json;
use sma_spec::Message;
use sma_store::{EventStore, IdentityStore, Owner};
use sma_store_dynamodb::DynamoStore;

use metering::Meter;

const HOW_TO_RUN: &str = "DYNAMODB_ENDPOINT is not set: the DynamoDB tests need DynamoDB Local \
(or another DynamoDB endpoint). Run them with
    scripts/dynamodb-local run cargo test -p sma-store-dynamodb
or start it once with `scripts/dynamodb-local start`, then
    eval \"$(scripts/dynamodb-local env)\" && cargo test -p sma-store-dynamodb";

/// A client for the test endpoint with static fake credentials (DynamoDB Local
/// accepts any), so no credential chain or instance metadata is consulted.
fn client(meter: Option<&Meter>) -> Client {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| panic!("{HOW_TO_RUN}"));
    let credentials = Credentials::new("fakeMyKeyId", "fakeSecretAccessKey", None, None, "tests");
    // The adapter's own HTTP client (rustls on ring), which the SDK does not
    // bring without its default features.
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut config = Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials);
    if let Some(meter) = meter {
        config = config.interceptor(meter.clone());
    }
    Client::from_conf(config.build())
}

/// A store on three new, empty tables named as no other test (or earlier run on
/// the same instance) names them.
async fn store_with(meter: Option<&Meter>) -> DynamoStore {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let since_epoch = std::time::UNIX_EPOCH.elapsed().unwrap();
    let prefix = format!(
        "sma-test-{}-{}-{}",
        std::process::id(),
        since_epoch.as_micros(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let tables = (
        format!("{prefix}-events"),
        format!("{prefix}-user-map"),
        format!("{prefix}-attribution"),
    );
    let store = DynamoStore::new(client(meter), tables);
    store.create_tables().await.expect("create the tables");
    store
}

async fn fresh() -> DynamoStore {
    store_with(None).await
}

/// The contract, unchanged; the tests are named `dynamodb::<check>`.
mod dynamodb {
    use super::fresh;
    use sma_store::contract_tests;

    contract_tests!(fresh().await);
}

fn ids(messages: Vec<Message>) -> Vec<String> {
    messages.into_iter().map(|m| m.message_id).collect()
}

#[tokio::test]
async fn dynamodb_create_tables_is_idempotent() {
    let store = fresh().await;
    store
        .put_events(&[contract::page("m1", "a1", 1)])
        .await
        .unwrap();
    store.create_tables().await.unwrap();
    assert_eq!(ids(store.device_events("a1").await.unwrap()), ["m1"]);
}

#[tokio::test]
async fn dynamodb_event_items_carry_what_the_stream_filters_match() {
    let store = fresh().await;
    let identify = contract::message(json!({
        "type": "identify", "messageId": "i1", "anonymousId": "a1", "userId": "u1",
        "timestamp": contract::at(1).to_rfc3339()
    }));
    let blocked = contract::message(json!({
        "type": "track", "messageId": "t1", "anonymousId": "anonymous", "userId": "u1",
        "event": "Clicked", "timestamp": contract::at(2).to_rfc3339()
    }));
    store
        .put_events(&[identify, blocked, contract::page("p1", "a1", 3)])
        .await
        .unwrap();
    // Only tests scan: a whole (tiny) table.
    let items: Vec<HashMap<String, AttributeValue>> = store
        .client()
        .scan()
        .table_name(&store.tables().events)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let mut events: Vec<(&str, &str, bool)> = items
        .iter()
        .filter(|i| i.contains_key("type"))
        .map(|i| {
            let text = |name: &str| i[name].as_s().unwrap().as_str();
            let linked = i["has_both_ids"] == AttributeValue::Bool(true);
            (text("message_id"), text("type"), linked)
        })
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("i1", "identify", true),
            ("p1", "page", false),
            ("t1", "track", false)
        ],
        "has_both_ids marks the events that link a device (a blocked id links nothing)"
    );
    // Markers and index items carry neither attribute: no stream filter passes them.
    let others: Vec<_> = items.iter().filter(|i| !i.contains_key("type")).collect();
    assert!(!others.is_empty());
    assert!(others.iter().all(|i| !i.contains_key("has_both_ids")));
}

#[tokio::test]
async fn dynamodb_user_events_include_their_events_on_a_device_someone_else_owns() {
    let store = fresh().await;
    let on_shared_device = contract::message(json!({
        "type": "track", "messageId": "t1", "anonymousId": "shared", "userId": "u2",
        "event": "Clicked", "timestamp": contract::at(5).to_rfc3339()
    }));
    store
        .put_events(&[contract::page("p1", "shared", 1), on_shared_device])
        .await
        .unwrap();
    assert_eq!(ids(store.user_events("u2", &[]).await.unwrap()), ["t1"]);
    let owner_view = store.user_events("u1", &["shared".into()]).await.unwrap();
    assert_eq!(ids(owner_view), ["p1", "t1"]);
}

#[tokio::test]
async fn dynamodb_owners_span_months_and_open_ranges() {
    let store = fresh().await;
    let page_in = |id: &str, device: &str, month: u32| {
        let at = Utc.with_ymd_and_hms(2024, month, 15, 12, 0, 0).unwrap();
        contract::message(json!({
            "type": "page", "messageId": id, "anonymousId": device, "timestamp": at.to_rfc3339()
        }))
    };
    let pages = [
        page_in("p1", "jan", 1),
        page_in("p2", "mar", 3),
        page_in("p3", "may", 5),
    ];
    store.put_events(&pages).await.unwrap();
    let device = |d: &str| Owner::Device(d.into());
    let feb = Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap();
    let apr = Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap();
    assert_eq!(
        store.owners(Some(feb), None).await.unwrap(),
        [device("mar"), device("may")]
    );
    assert_eq!(
        store.owners(None, Some(apr)).await.unwrap(),
        [device("jan"), device("mar")]
    );
    assert_eq!(store.owners(Some(apr), Some(feb)).await.unwrap(), []);
}

#[tokio::test]
async fn dynamodb_concurrent_claims_on_one_device_settle_on_the_earliest() {
    let store = fresh().await;
    let claims = (0..6u32).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let link = sma_spec::IdentityLink {
                anonymous_id: "a1".into(),
                user_id: format!("u{n}"),
            };
            store
                .link(&link, contract::at(30 - n), &format!("i{n}"))
                .await
                .unwrap()
        })
    });
    for claim in claims.collect::<Vec<_>>() {
        claim.await.unwrap();
    }
    assert_eq!(store.user_of("a1").await.unwrap().as_deref(), Some("u5"));
    assert_eq!(store.devices_of("u5").await.unwrap(), ["a1"]);
    for n in 0..5 {
        assert!(store.devices_of(&format!("u{n}")).await.unwrap().is_empty());
    }
    assert_eq!(store.conflicts_of("u5").await.unwrap().len(), 5);
}
