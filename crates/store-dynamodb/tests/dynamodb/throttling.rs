//! DynamoDB throttling, which DynamoDB Local never does: the adapter, configured as
//! the functions configure it (`DynamoStore::from_env`), against a scripted HTTP
//! server playing DynamoDB's JSON protocol. A throttled request is retried and
//! succeeds; throttling that outlasts the retries is a retryable
//! `StoreError::Unavailable`; `UnprocessedItems` of a `BatchWriteItem` are sent
//! again until none are left.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sma_store::testing::message;
use sma_store::{EventStore, IdentityStore, StoreError, TouchStore};
use sma_store_dynamodb::DynamoStore;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as the server saw it: the operation (`X-Amz-Target` without the
/// service prefix) and the JSON body.
#[derive(Debug, Clone)]
struct Seen {
    operation: String,
    body: Value,
}

/// What the server answers to the `n`th request (0-based) of an operation.
type Script = dyn Fn(&str, usize, &Value) -> (u16, Value) + Send + Sync;

/// A DynamoDB endpoint on loopback answering by `script`; returns its URL and
/// the requests it receives.
async fn fake_dynamodb(script: Arc<Script>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let (script, log) = (Arc::clone(&script), Arc::clone(&log));
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut reader = BufReader::new(read);
                while let Some((operation, body)) = read_request(&mut reader).await {
                    let n = {
                        let mut log = log.lock().unwrap();
                        let n = log.iter().filter(|s| s.operation == operation).count();
                        log.push(Seen {
                            operation: operation.clone(),
                            body: body.clone(),
                        });
                        n
                    };
                    let (status, answer) = script(&operation, n, &body);
                    let answer = answer.to_string();
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\n\
                         content-length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if write.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

/// Reads one HTTP/1.1 request; `None` when the connection ends.
async fn read_request<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Option<(String, Value)> {
    let (mut operation, mut length) = (String::new(), 0usize);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "x-amz-target" => {
                    operation = value.trim().rsplit('.').next()?.to_owned();
                }
                "content-length" => length = value.trim().parse().ok()?,
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some((
        operation,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    ))
}

fn throttled() -> (u16, Value) {
    (
        400,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded."
        }),
    )
}

async fn store_at(url: String) -> DynamoStore {
    // The adapter signs requests; any credentials do for this server, but they
    // come from the environment, as `scripts/dynamodb-local run` sets them.
    assert!(
        std::env::var_os("AWS_ACCESS_KEY_ID").is_some(),
        "AWS credentials are not set: run with `scripts/dynamodb-local run cargo test -p sma-store-dynamodb`"
    );
    let tables = ("t-events", "t-user-map", "t-attribution");
    let tables = (
        tables.0.to_owned(),
        tables.1.to_owned(),
        tables.2.to_owned(),
    );
    DynamoStore::from_env("us-east-1", Some(url), tables).await
}

fn operations(seen: &Mutex<Vec<Seen>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|s| s.operation.clone())
        .collect()
}

#[tokio::test]
async fn dynamodb_a_throttled_read_is_retried_until_it_succeeds() {
    let (url, seen) = fake_dynamodb(Arc::new(|operation: &str, n: usize, _: &Value| {
        assert_eq!(operation, "GetItem");
        if n < 2 {
            throttled()
        } else {
            (
                200,
                json!({"Item": {"user_id": {"S": "u-1"}, "anonymous_id": {"S": "a-1"}}}),
            )
        }
    }))
    .await;
    let store = store_at(url).await;
    assert_eq!(store.user_of("a-1").await.unwrap(), Some("u-1".into()));
    assert_eq!(operations(&seen), ["GetItem"; 3]);
}

#[tokio::test]
async fn dynamodb_throttling_beyond_the_retries_is_a_retryable_unavailable_error() {
    let (url, seen) = fake_dynamodb(Arc::new(|_: &str, _: usize, _: &Value| throttled())).await;
    let store = store_at(url).await;
    let error = store.user_of("a-1").await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(operations(&seen).len(), 5, "the configured 5 attempts");
}

#[tokio::test]
async fn dynamodb_unprocessed_items_of_a_batch_write_are_sent_again() {
    let (url, seen) = fake_dynamodb(Arc::new(|operation: &str, n: usize, body: &Value| {
        match operation {
            "PutItem" | "UpdateItem" => (200, json!({})),
            // The first answer leaves every item unprocessed, the second takes them.
            "BatchWriteItem" if n == 0 => (200, json!({"UnprocessedItems": body["RequestItems"]})),
            "BatchWriteItem" => (200, json!({"UnprocessedItems": {}})),
            other => panic!("unexpected {other}"),
        }
    }))
    .await;
    let store = store_at(url).await;
    // Identified: its index items are the activity of the device and of the
    // user, and the user's reference to the event.
    let page = message(json!({
        "type": "page", "messageId": "p1", "anonymousId": "a-1", "userId": "u-1",
        "timestamp": "2024-05-01T10:00:00Z"
    }));
    assert_eq!(store.put_events(&[page]).await.unwrap(), [true]);

    let seen = seen.lock().unwrap();
    let writes: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.operation == "BatchWriteItem")
        .collect();
    assert_eq!(writes.len(), 2, "{seen:?}");
    assert_eq!(
        writes[0].body, writes[1].body,
        "the unprocessed items, sent again"
    );
    assert_eq!(
        writes[1].body["RequestItems"]["t-events"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn dynamodb_unprocessed_keys_of_a_batch_read_are_asked_again() {
    let (url, seen) = fake_dynamodb(Arc::new(|operation: &str, n: usize, body: &Value| {
        assert_eq!(operation, "BatchGetItem");
        if n == 0 {
            let none = json!({"t-attribution": []});
            (
                200,
                json!({"Responses": none, "UnprocessedKeys": body["RequestItems"]}),
            )
        } else {
            let state = json!({"pk": {"S": "dev#a-1"}, "sk": {"S": "state"},
                               "version": {"N": "3"}, "state": {"S": "{}"}});
            let found = json!({"t-attribution": [state]});
            (200, json!({"Responses": found, "UnprocessedKeys": {}}))
        }
    }))
    .await;
    let store = store_at(url).await;
    let devices = ["a-1".to_owned(), "a-2".to_owned()];
    let states = store.device_states(&devices).await.unwrap();
    assert_eq!(states[0].as_ref().map(|s| s.version), Some(3));
    assert_eq!(states[1], None);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        seen[0].body["RequestItems"], seen[1].body["RequestItems"],
        "the unprocessed keys, asked again"
    );
    assert_eq!(
        seen[1].body["RequestItems"]["t-attribution"]["ConsistentRead"],
        true
    );
}
