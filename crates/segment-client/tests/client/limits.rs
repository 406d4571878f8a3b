//! Batches stay within Segment's limits and every message is delivered exactly once.

use std::collections::HashSet;

use crate::common::{client_for, ids_of, message_ids, touch};
use segment_client::recorder::{RecordedRequest, Recorder};
use segment_client::{MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, MAX_REQUEST_BYTES, Message};

fn assert_within_limits(requests: &[RecordedRequest]) {
    for (i, request) in requests.iter().enumerate() {
        assert!(request.batch().len() <= MAX_BATCH_MESSAGES, "request {i}");
        assert!(request.body.len() <= MAX_REQUEST_BYTES, "request {i}");
        assert!(request.accepted(), "request {i}");
    }
}

#[tokio::test]
async fn three_thousand_small_messages_split_by_count() {
    let recorder = Recorder::start().await.unwrap();
    let messages: Vec<_> = (0..3000).map(|i| touch(i, 0)).collect();
    let expected = message_ids(&messages);
    let report = client_for(&recorder).send(messages).await;

    let requests = recorder.requests();
    assert!(requests.len() >= 2, "{} requests", requests.len());
    assert_within_limits(&requests);
    assert_eq!(report.batches, requests.len());
    assert_eq!((report.messages, report.sent), (3000, 3000));
    assert!(report.is_complete());
    assert_eq!(
        ids_of(&recorder.messages()),
        expected,
        "all, once, in order"
    );
}

#[tokio::test]
async fn two_megabytes_split_by_size() {
    let recorder = Recorder::start().await.unwrap();
    // 200 messages of ~10 KB: ~2 MB, at least four requests by size alone.
    let messages: Vec<_> = (0..200).map(|i| touch(i, 10_000)).collect();
    let total: usize = messages.iter().map(|m| m.to_json().to_string().len()).sum();
    assert!(total > 2_000_000, "{total} bytes");
    let expected = message_ids(&messages);
    let report = client_for(&recorder).send(messages).await;

    let requests = recorder.requests();
    assert!(requests.len() > total / MAX_REQUEST_BYTES);
    assert_within_limits(&requests);
    assert_eq!(report.sent, 200);
    let delivered = ids_of(&recorder.messages());
    assert_eq!(delivered, expected);
    assert_eq!(delivered.iter().collect::<HashSet<_>>().len(), 200);
}

/// A message whose serialised JSON is exactly `size` bytes.
fn message_of_size(i: usize, size: usize) -> Message {
    let base = serde_json::to_vec(&touch(i, 0)).unwrap().len();
    let message = touch(i, size - base);
    assert_eq!(serde_json::to_vec(&message).unwrap().len(), size);
    message
}

#[tokio::test]
async fn oversize_message_is_reported_not_sent() {
    let recorder = Recorder::start().await.unwrap();
    let at_limit = message_of_size(1, MAX_MESSAGE_BYTES);
    let too_big = message_of_size(2, MAX_MESSAGE_BYTES + 1);
    let messages = vec![touch(0, 0), at_limit.clone(), too_big.clone(), touch(3, 0)];
    let report = client_for(&recorder).send(messages).await;

    assert_eq!((report.messages, report.sent, report.batches), (4, 3, 1));
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].message_id, too_big.message_id());
    assert_eq!(
        report.failed[0].reason,
        format!("message too large: {} bytes > 32768", MAX_MESSAGE_BYTES + 1)
    );
    let delivered = ids_of(&recorder.messages());
    assert!(delivered.contains(&at_limit.message_id().to_owned()));
    assert!(!delivered.contains(&too_big.message_id().to_owned()));
}
