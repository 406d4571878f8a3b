//! The intake function holds the intake rules `sma serve` holds: a
//! signature must cover every message of a body, a client's clock is
//! corrected by `sentAt`, and times and values that cannot be true are
//! rejected per message with the reason, the rest stored.

use crate::support::{SHARED_SECRET, apigw, deliver, fresh_app, identify};
use serde_json::{Value, json};
use sma_store::EventStore;

fn track(id: &str, at: &str, revenue: f64) -> Value {
    json!({"type": "track", "messageId": id, "userId": "u-1", "event": "Order Completed",
           "timestamp": at, "properties": {"revenue": revenue}})
}

#[tokio::test]
async fn dynamodb_a_signature_of_the_first_element_alone_stores_nothing() {
    let app = fresh_app(&[("SEGMENT_SHARED_SECRET", SHARED_SECRET)]).await;
    let signed = identify("i1", "a-1", "u-1", "2024-05-01T10:00:00.000Z").to_string();
    let appended = identify("i2", "a-2", "u-evil", "2024-05-01T10:00:00.000Z").to_string();
    let body = format!("[{signed},{appended}]");
    let signature = sma_spec::sign(SHARED_SECRET.as_bytes(), signed.as_bytes());
    let headers = [
        ("content-type", "application/json"),
        ("x-signature", signature.as_str()),
    ];
    let request = apigw::request("POST", "/events", &headers, Some(&body));
    let (status, answer) = apigw::invoke(&sma_lambda::function_router(app.clone()), request).await;
    assert_eq!(status, 401, "{answer}");
    for device in ["a-1", "a-2"] {
        assert!(app.store.device_events(device).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn dynamodb_clocks_are_corrected_and_impossible_claims_rejected() {
    let app = fresh_app(&[("SEGMENT_SHARED_SECRET", SHARED_SECRET)]).await;
    // The client's clock is an hour behind: sent 5 s after the event, received
    // at 10:00:06 by Segment's clock.
    let mut late_clock = identify("clock", "a-1", "u-1", "2024-06-01T09:00:00.000Z");
    late_clock["sentAt"] = json!("2024-06-01T09:00:05.000Z");
    late_clock["receivedAt"] = json!("2024-06-01T10:00:06.000Z");
    let answer = deliver(
        &app,
        &[
            late_clock,
            identify("backdated", "a-2", "u-evil", "1970-01-01T00:00:00.000Z"),
            track("huge", "2024-06-01T10:00:00.000Z", 1.7e308),
            track("fine", "2024-06-01T10:00:00.000Z", 49.5),
        ],
    )
    .await;
    assert_eq!(answer["accepted"], 2, "{answer}");
    let rejected: Vec<(&str, &str)> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["messageId"].as_str().unwrap(),
                r["error"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rejected.len(), 2, "{answer}");
    assert_eq!(rejected[0].0, "backdated");
    assert!(rejected[0].1.contains("implausible"), "{}", rejected[0].1);
    assert_eq!(rejected[1].0, "huge");
    assert!(rejected[1].1.contains("1.7e308"), "{}", rejected[1].1);

    let stored = app.store.device_events("a-1").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].timestamp.to_rfc3339(),
        "2024-06-01T10:00:01+00:00"
    );
    assert!(app.store.device_events("a-2").await.unwrap().is_empty());
}
