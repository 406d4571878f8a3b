//! The AWS shape's way back from a record a stream consumer gave up on: the
//! consumer leaves the record's device on the failure queue (here a local
//! stand-in of SQS that speaks its JSON protocol) and goes on; once the cause is
//! fixed, `sma redrive` derives that device again from the DynamoDB tables
//! (DynamoDB Local) and empties the queue.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::AttributeValue;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use sma_failure_queue::{FailureQueue, aws_sdk_sqs};
use sma_store::TouchStore;

/// SendMessage, ReceiveMessage and DeleteMessage of one queue; a message is
/// handed out once and kept until deleted.
#[derive(Clone, Default)]
struct Sqs {
    messages: Arc<Mutex<Vec<(String, String, bool)>>>, // (receipt, body, handed out)
}

async fn sqs_api(
    State(sqs): State<Sqs>,
    headers: HeaderMap,
    body: String,
) -> ([(&'static str, &'static str); 1], String) {
    let request: Value = serde_json::from_str(&body).unwrap();
    let mut messages = sqs.messages.lock().unwrap();
    let answer = match headers["x-amz-target"].to_str().unwrap() {
        "AmazonSQS.SendMessage" => {
            let receipt = format!("r-{}", messages.len());
            messages.push((
                receipt.clone(),
                request["MessageBody"].as_str().unwrap().to_owned(),
                false,
            ));
            json!({"MessageId": receipt})
        }
        "AmazonSQS.ReceiveMessage" => {
            let taken: Vec<Value> = messages
                .iter_mut()
                .filter(|(_, _, out)| !*out)
                .take(10)
                .map(|(receipt, body, out)| {
                    *out = true;
                    json!({"MessageId": receipt, "ReceiptHandle": receipt, "Body": body})
                })
                .collect();
            json!({"Messages": taken})
        }
        "AmazonSQS.DeleteMessage" => {
            let receipt = request["ReceiptHandle"].as_str().unwrap();
            messages.retain(|(r, _, _)| r != receipt);
            json!({})
        }
        other => panic!("unexpected SQS call {other}"),
    };
    (
        [("content-type", "application/x-amz-json-1.0")],
        answer.to_string(),
    )
}

/// Starts the stand-in; answers its endpoint and the queue's messages.
async fn start_sqs() -> (String, Sqs) {
    let sqs = Sqs::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/", axum::routing::post(sqs_api))
        .with_state(sqs.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, sqs)
}

const QUEUE_URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/sma-test-stream-failures";

/// A Lambda DynamoDB stream event of one INSERT of `item`.
fn insert_of(item: &HashMap<String, AttributeValue>) -> sma_lambda::StreamEvent {
    let image = serde_json::to_value(serde_dynamo::Item::from(item.clone())).unwrap();
    let keys = json!({"pk": image["pk"], "sk": image["sk"]});
    serde_json::from_value(json!({"Records": [{
        "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"Keys": keys, "NewImage": image, "SequenceNumber": "4200",
                     "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"}
    }]}))
    .unwrap()
}

#[tokio::test]
async fn dynamodb_a_given_up_record_waits_on_the_failure_queue_until_sma_redrive_derives_it() {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .expect("DYNAMODB_ENDPOINT is not set: run `scripts/dynamodb-local run cargo test`");
    let prefix = format!(
        "sma-redrive-{}-{}",
        std::process::id(),
        std::time::UNIX_EPOCH.elapsed().unwrap().as_micros()
    );
    let env: HashMap<String, String> = [
        ("DYNAMODB_ENDPOINT", endpoint.as_str()),
        ("REGION", "us-east-1"),
        ("EVENTS_TABLE", &format!("{prefix}-events")),
        ("USER_MAP_TABLE", &format!("{prefix}-user-map")),
        ("ATTRIBUTION_TABLE", &format!("{prefix}-attribution")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let app = sma_lambda::app_with(|name| env.get(name).cloned())
        .await
        .unwrap();
    app.store.create_tables().await.unwrap();
    let (sqs_endpoint, sqs) = start_sqs().await;
    let config =
        sma_store_dynamodb::sdk_config("us-east-1".into(), Some(sqs_endpoint.clone())).await;
    let credentials = aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "test");
    let client = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&config)
            .credentials_provider(credentials)
            .build(),
    );
    let queue = FailureQueue::new(client, QUEUE_URL);

    // A visit from a search engine, stored by intake, whose item is then damaged.
    let visit = common::page(
        "p-1",
        "a-1",
        "2024-05-01T10:00:00.000Z",
        "https://acme.io/",
        "https://www.google.com/",
    );
    app.ingest(visit.to_string().as_bytes(), None)
        .await
        .unwrap();
    let client = app.store.client();
    let events = &app.store.tables().events;
    let items = client
        .query()
        .table_name(events)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("dev#a-1".into()))
        .send()
        .await
        .unwrap();
    let item = items
        .items()
        .iter()
        .find(|i| i.contains_key("type"))
        .unwrap()
        .clone();
    let mut damaged = item.clone();
    damaged.insert(
        "raw".into(),
        AttributeValue::S("{\"type\":\"page\",".into()),
    );
    client
        .put_item()
        .table_name(events)
        .set_item(Some(damaged.clone()))
        .send()
        .await
        .unwrap();

    // The consumer cannot read it back: it gives the device up and goes on.
    let response = sma_lambda::handle_batch(
        &app,
        &sma_lambda::SourceDetection,
        Some(&queue),
        insert_of(&damaged),
    )
    .await
    .unwrap();
    assert!(
        response.batch_item_failures.is_empty(),
        "given up, not retried"
    );
    let left = sqs.messages.lock().unwrap().clone();
    assert_eq!(left.len(), 1);
    let given_up: Value = serde_json::from_str(&left[0].1).unwrap();
    assert_eq!(given_up["owners"], json!([{"Device": "a-1"}]), "{given_up}");
    assert_eq!(given_up["consumer"], json!("source-detection"));
    assert!(app.store.device_touches("a-1").await.unwrap().is_empty());

    // The cause is fixed (the item restored), then the queue is redriven.
    client
        .put_item()
        .table_name(events)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let output = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_sma"))
            .arg("redrive")
            .current_dir(dir.path())
            .env_clear()
            .envs(&env)
            .env("STORE", "dynamodb")
            .env("FAILURE_QUEUE_URL", QUEUE_URL)
            .env("SQS_ENDPOINT", &sqs_endpoint)
            .env("AWS_ACCESS_KEY_ID", "fakeMyKeyId")
            .env("AWS_SECRET_ACCESS_KEY", "fakeSecretAccessKey")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 devices and users derived again from 1 messages"),
        "{stderr}"
    );
    let touches = app.store.device_touches("a-1").await.unwrap();
    assert_eq!(touches.len(), 1, "the visit is a touch now");
    assert!(
        touches[0].touch.as_str().contains("google"),
        "{}",
        touches[0].touch.as_str()
    );
    assert!(
        sqs.messages.lock().unwrap().is_empty(),
        "the message is removed"
    );
}
