//! `Client::within`: a send bounded in total time ends with a full report by its
//! deadline, however slow Segment is, instead of `max_attempts` x `request_timeout`.

use std::time::{Duration, Instant};

use crate::common::{WRITE_KEY, fast_config, touch};
use segment_client::Client;
use segment_client::recorder::{Recorder, Response};

#[tokio::test]
async fn a_slow_segment_is_cut_at_the_budget_and_every_message_reported() {
    let recorder = Recorder::start().await.unwrap();
    for _ in 0..5 {
        recorder.push_response(Response::ok().after(Duration::from_secs(30)));
    }
    // Each attempt alone may take 10 s: only the budget can end this early.
    let client = Client::new(fast_config(recorder.endpoint(), Some(WRITE_KEY))).unwrap();
    let started = Instant::now();
    let report = client
        .within(Duration::from_millis(700))
        .send((0..3).map(|i| touch(i, 0)).collect())
        .await;
    let took = started.elapsed();

    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(took >= Duration::from_millis(600), "took {took:?}");
    assert_eq!((report.sent, report.failed.len()), (0, 3));
    let reason = &report.failed[0].reason;
    assert!(reason.contains("network error"), "{reason}");
    assert!(
        reason.contains("time budget of this send (0.7 s)"),
        "{reason}"
    );
}

#[tokio::test]
async fn within_the_budget_retries_still_happen() {
    let recorder = Recorder::start().await.unwrap();
    recorder.push_response(Response::status(503));
    let client = Client::new(fast_config(recorder.endpoint(), Some(WRITE_KEY))).unwrap();
    let report = client
        .within(Duration::from_secs(5))
        .send(vec![touch(0, 0)])
        .await;

    assert_eq!((report.sent, report.failed.len()), (1, 0));
    assert_eq!(recorder.requests().len(), 2, "the 503 was retried");
}

#[tokio::test]
async fn without_a_budget_the_configured_timeout_governs() {
    let recorder = Recorder::start().await.unwrap();
    recorder.push_response(Response::ok().after(Duration::from_millis(600)));
    // The budget of one clone does not leak into the client it came from.
    let client = Client::new(fast_config(recorder.endpoint(), Some(WRITE_KEY))).unwrap();
    let _bounded = client.within(Duration::from_millis(100));
    let report = client.send(vec![touch(0, 0)]).await;

    assert_eq!((report.sent, report.failed.len()), (1, 0));
    assert_eq!(recorder.requests().len(), 1, "answered slowly, not retried");
}
