//! The AWS shape's way back from what the stream consumers could not process:
//! a consumer that gives up on a record leaves the record's device on the
//! failure queue (here a local stand-in of SQS that speaks its JSON protocol)
//! and goes on; Lambda leaves there the stream position of a batch that failed
//! all its retries. Once the cause is fixed, `sma redrive` derives those devices
//! again from the DynamoDB tables (DynamoDB Local) and empties the queue.

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

/// The App of the stream consumers on fresh tables, the settings naming them,
/// and the failure queue on a fresh stand-in (its endpoint and its messages).
struct Deployment {
    app: sma_lambda::LambdaApp,
    env: HashMap<String, String>,
    queue: FailureQueue,
    sqs_endpoint: String,
    sqs: Sqs,
}

async fn deploy() -> Deployment {
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
    Deployment {
        app,
        env,
        queue,
        sqs_endpoint,
        sqs,
    }
}

impl Deployment {
    /// Stores a visit from a search engine of device `device` (intake only
    /// stores; the consumers have not run), and answers its event item.
    async fn visit(&self, device: &str) -> HashMap<String, AttributeValue> {
        let visit = crate::common::page(
            &format!("p-{device}"),
            device,
            "2024-05-01T10:00:00.000Z",
            "https://acme.io/",
            "https://www.google.com/",
        );
        self.app
            .intake(visit.to_string().as_bytes(), None)
            .await
            .unwrap();
        let items = self
            .app
            .store
            .client()
            .query()
            .table_name(&self.app.store.tables().events)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("dev#{device}")))
            .send()
            .await
            .unwrap();
        let found = items.items().iter().find(|i| i.contains_key("type"));
        found.unwrap().clone()
    }

    async fn put(&self, item: HashMap<String, AttributeValue>) {
        let client = self.app.store.client();
        let table = &self.app.store.tables().events;
        let put = client.put_item().table_name(table).set_item(Some(item));
        put.send().await.unwrap();
    }

    /// Runs `sma redrive` on the tables and the queue; answers what it printed.
    async fn redrive(&self) -> String {
        let (env, sqs_endpoint) = (self.env.clone(), self.sqs_endpoint.clone());
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
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        stderr
    }

    /// The device's touches: one from Google once it is derived.
    async fn touches(&self, device: &str) -> Vec<String> {
        let stored = self.app.store.device_touches(device).await.unwrap();
        stored.iter().map(|t| t.touch.as_str().to_owned()).collect()
    }
}

#[tokio::test]
async fn dynamodb_a_given_up_record_waits_on_the_failure_queue_until_sma_redrive_derives_it() {
    let deployment = deploy().await;
    // A visit whose stored item is then damaged.
    let item = deployment.visit("a-1").await;
    let mut damaged = item.clone();
    damaged.insert(
        "raw".into(),
        AttributeValue::S("{\"type\":\"page\",".into()),
    );
    deployment.put(damaged.clone()).await;

    // The consumer cannot read it back: it gives the device up and goes on.
    let response = sma_lambda::handle_batch(
        &deployment.app,
        &sma_lambda::Touches,
        Some(&deployment.queue),
        insert_of(&damaged),
    )
    .await
    .unwrap();
    assert!(
        response.batch_item_failures.is_empty(),
        "given up, not retried"
    );
    let left = deployment.sqs.messages.lock().unwrap().clone();
    assert_eq!(left.len(), 1);
    let given_up: Value = serde_json::from_str(&left[0].1).unwrap();
    assert_eq!(given_up["owners"], json!([{"Device": "a-1"}]), "{given_up}");
    assert_eq!(given_up["consumer"], json!("touches"));
    assert!(deployment.touches("a-1").await.is_empty());

    // The cause is fixed (the item restored), then the queue is redriven.
    deployment.put(item).await;
    let printed = deployment.redrive().await;
    assert!(
        printed.contains("1 devices and users derived again from 1 messages"),
        "{printed}"
    );
    let touches = deployment.touches("a-1").await;
    assert_eq!(touches.len(), 1, "the visit is a touch now");
    assert!(touches[0].contains("google"), "{touches:?}");
    assert!(
        deployment.sqs.messages.lock().unwrap().is_empty(),
        "the message is removed"
    );
}

#[tokio::test]
async fn dynamodb_a_batch_known_only_by_its_stream_position_is_read_back_and_derived() {
    let deployment = deploy().await;
    deployment.visit("a-2").await;
    // Where the visit's record sits in the EVENTS stream, as Lambda's record of
    // a batch that failed all its retries names it.
    let config = sma_store_dynamodb::sdk_config(
        "us-east-1".into(),
        Some(deployment.env["DYNAMODB_ENDPOINT"].clone()),
    )
    .await;
    let streams = aws_sdk_dynamodbstreams::Client::new(&config);
    let table = &deployment.app.store.tables().events;
    let listed = streams
        .list_streams()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let arn = listed.streams()[0].stream_arn().unwrap().to_owned();
    let described = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let shard = described.stream_description().unwrap().shards()[0]
        .shard_id()
        .unwrap()
        .to_owned();
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let records = streams
        .get_records()
        .shard_iterator(iterator.shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    let sequence_of_visit = records
        .records()
        .iter()
        .filter_map(|r| r.dynamodb())
        .find(|r| {
            r.keys()
                .and_then(|k| k.get("pk"))
                .is_some_and(|pk| pk.as_s().is_ok_and(|pk| pk == "dev#a-2"))
        })
        .and_then(|r| r.sequence_number())
        .unwrap()
        .to_owned();
    let lambda_record = json!({
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 6},
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "shardId": shard, "streamArn": arn, "batchSize": 1,
            "startSequenceNumber": sequence_of_visit, "endSequenceNumber": sequence_of_visit,
        }
    });
    deployment
        .sqs
        .messages
        .lock()
        .unwrap()
        .push(("r-x".into(), lambda_record.to_string(), false));
    assert!(deployment.touches("a-2").await.is_empty());

    let printed = deployment.redrive().await;
    assert!(
        printed.contains("1 devices and users derived again from 1 messages; 0 left"),
        "{printed}"
    );
    assert_eq!(deployment.touches("a-2").await.len(), 1);
    assert!(deployment.sqs.messages.lock().unwrap().is_empty());
}
