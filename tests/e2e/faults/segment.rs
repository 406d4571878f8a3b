//! Segment down (connection refused) or slow (answers after the deadline): the
//! feed endpoints and `sma backfill` retry within bounds, then report every
//! undelivered message; what sma stored is not touched.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use segment_client::recorder::{Recorder, Response};
use serde_json::{Value, json};

use crate::common::{Client, Server, identify, page, track};
use crate::faults::closed_port_url;

fn history() -> Value {
    json!([
        page(
            "s-ad",
            "seg-laptop",
            "2024-06-01T09:00:00Z",
            "https://acme.io/?gclid=x",
            "https://www.google.com/"
        ),
        page(
            "s-mail",
            "seg-laptop",
            "2024-06-05T08:00:00Z",
            "https://acme.io/?utm_source=news&utm_medium=email",
            ""
        ),
        identify("s-who", "seg-laptop", "seg-user", "2024-06-05T08:01:00Z"),
        track(
            "s-buy",
            "seg-user",
            "Order Completed",
            "2024-06-05T08:10:00Z",
            120.0
        ),
    ])
}

/// Everything the API shows about the history: it must not change.
async fn snapshot(api: &Client) -> Vec<Value> {
    let mut views = Vec::new();
    for path in [
        "/api/user/seg-user",
        "/api/device/seg-laptop",
        "/api/report?model=linear",
    ] {
        let reply = api.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        views.push(reply.body);
    }
    views
}

/// A 502 whose summary lists every message with why it was not delivered.
fn assert_reported(body: &Value, messages: usize, reason_has: &[&str]) {
    assert_eq!(body["error"], "Segment did not accept every message");
    assert_eq!(body["sent"], 0, "{body}");
    assert_eq!(body["messages"], messages, "{body}");
    let failed = body["failed"].as_array().expect("failed is a list");
    assert_eq!(failed.len(), messages, "{body}");
    for failure in failed {
        assert!(
            failure["message_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
        let reason = failure["reason"].as_str().unwrap();
        for part in reason_has {
            assert!(reason.contains(part), "reason {reason:?} lacks {part:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segment_down_during_a_feed_call_is_retried_then_reported() {
    let endpoint = closed_port_url();
    let server = Server::start(&[
        ("SEGMENT_ENDPOINT", endpoint.as_str()),
        ("ANALYTICS_WRITE_KEY", "wk-fault"),
    ]);
    let api = server.client();
    assert_eq!(api.post_json("/events", &history()).await.status, 200);
    let before = snapshot(&api).await;

    let started = Instant::now();
    let reply = api.get("/segment/track/user/seg-user").await;
    let took = started.elapsed();
    assert_eq!(reply.status, 502, "{}", reply.body);
    // Two touches: two "Source Identified" tracks, both refused 5 times.
    assert_reported(
        &reply.body,
        2,
        &[
            "gave up after 5 attempts",
            "network error",
            "onnection refused",
        ],
    );
    // Five attempts with full-jitter backoff (at most 0.2 + 0.4 + 0.8 + 1.6 s).
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(snapshot(&api).await, before, "stored data untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_segment_during_a_feed_call_is_reported_before_the_deadline() {
    let recorder = Recorder::start().await.unwrap();
    for _ in 0..10 {
        recorder.push_response(Response::ok().after(Duration::from_secs(60)));
    }
    let url = recorder.url();
    let server = Server::start(&[
        ("SEGMENT_ENDPOINT", url.as_str()),
        ("ANALYTICS_WRITE_KEY", "wk-fault"),
        ("REQUEST_TIMEOUT_SECONDS", "3"),
    ]);
    let api = server.client();
    assert_eq!(api.post_json("/events", &history()).await.status, 200);
    let before = snapshot(&api).await;

    let started = Instant::now();
    let reply = api.get("/segment/identify/user/seg-user").await;
    let took = started.elapsed();
    // Not the deadline's bare 503: the feed gave up at 80 % of the 3 s deadline
    // and says which message was not delivered and why.
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_reported(
        &reply.body,
        1,
        &["network error", "time budget of this send (2.4 s) ran out"],
    );
    assert!(took >= Duration::from_secs(2), "took {took:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(!recorder.requests().is_empty(), "Segment was tried");
    assert_eq!(snapshot(&api).await, before, "stored data untouched");
}

fn tables(db: &Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    ["events", "identity_claims", "touches"]
        .iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (t.to_string(), n)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segment_down_during_backfill_fails_clearly_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    let server = Server::start_on(&db, &[]);
    assert_eq!(
        server
            .client()
            .post_json("/events", &history())
            .await
            .status,
        200
    );
    assert!(server.stop().success());
    let before = tables(&db);
    assert!(before.iter().all(|(_, n)| *n > 0), "{before:?}");

    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_sma"))
        .arg("backfill")
        .current_dir(dir.path())
        .env_clear()
        .env("SMA_DB", &db)
        .env("SEGMENT_ENDPOINT", closed_port_url())
        .env("ANALYTICS_WRITE_KEY", "wk-fault")
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a failed backfill exits non-zero");
    // One identify, two touches' tracks and the conversion's two credit
    // events, each named with the reason.
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("not delivered: "))
        .collect();
    assert_eq!(lines.len(), 5, "{stderr}");
    for line in lines {
        assert!(
            line.contains("gave up after 5 attempts: network error"),
            "{line}"
        );
    }
    assert!(
        stderr.contains("sent 0 in 1 requests, 5 failed"),
        "{stderr}"
    );
    assert!(stderr.contains("5 messages were not delivered"), "{stderr}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(tables(&db), before, "stored data untouched");
}
