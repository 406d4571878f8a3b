//! Helpers shared by the integration tests: a fast client pointed at a recorder, and
//! message factories.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use segment_client::recorder::Recorder;
use segment_client::{Client, ClientConfig, Endpoint, Message};
use serde_json::{Map, Value, json};

pub const WRITE_KEY: &str = "wk_sma_test";

/// Production behaviour with backoffs shrunk so retry tests stay fast.
pub fn fast_config(endpoint: Endpoint, write_key: Option<&str>) -> ClientConfig {
    ClientConfig {
        endpoint,
        write_key: write_key.map(str::to_owned),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
    }
}

pub fn client_for(recorder: &Recorder) -> Client {
    Client::new(fast_config(recorder.endpoint(), Some(WRITE_KEY))).unwrap()
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

pub fn object(value: Value) -> Map<String, Value> {
    value.as_object().expect("a JSON object").clone()
}

/// The `i`-th "Source Identified" event of a device, padded with `padding` bytes.
pub fn touch(i: usize, padding: usize) -> Message {
    Message::track(
        "Source Identified",
        Some(format!("user-{}", i % 7)),
        Some(format!("device-{i}")),
        object(json!({
            "channel": "Organic Search",
            "source": "google",
            "touch_index": i,
            "padding": "x".repeat(padding),
        })),
        Utc.timestamp_opt(1_600_000_000 + i as i64, 0).unwrap(),
    )
    .unwrap()
}

pub fn ids_of(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_owned())
        .collect()
}

pub fn message_ids(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.message_id().to_owned()).collect()
}
