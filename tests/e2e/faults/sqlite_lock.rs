//! The SQLite file write-locked by another process (`BEGIN EXCLUSIVE` held by a
//! second connection, as the sqlite3 shell or a backup tool would). Bodies are
//! still answered (from the intake log), each message counted once; the writer
//! retries applying them until the lock is gone. A read waits for the bodies
//! before it up to the busy timeout (5 s), then is a JSON 503 with
//! `Retry-After`; once the lock is released everything is there.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Client, Server, page};

fn body(tag: &str) -> Value {
    json!([
        page(
            &format!("{tag}-1"),
            tag,
            "2024-06-01T09:00:00Z",
            "https://acme.io/?utm_source=a&utm_medium=email",
            ""
        ),
        page(
            &format!("{tag}-2"),
            tag,
            "2024-06-02T09:00:00Z",
            "https://acme.io/",
            "https://www.bing.com/"
        ),
    ])
}

fn lock(db: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    conn
}

async fn stored_ids(api: &Client, device: &str) -> Vec<String> {
    let reply = api.get(&format!("/api/device/{device}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut ids: Vec<String> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["messageId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(
        reply.body["touches"].as_array().map(Vec::len),
        Some(2),
        "the pipeline ran: {}",
        reply.body
    );
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_past_the_busy_timeout_delays_only_the_applying() {
    let server = Server::start(&[]);
    let api = server.client();
    let holder = lock(&server.db);
    // Reads are not blocked by a writer in WAL mode.
    assert_eq!(api.get("/api/report").await.status, 200);

    let started = Instant::now();
    let reply = api.post_json("/events", &body("locked")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["accepted"], 2, "{}", reply.body);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Segment's retry while the body waits in the log: nothing counted twice.
    let retry = api.post_json("/events", &body("locked")).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(
        (
            retry.body["accepted"].as_u64(),
            retry.body["duplicates"].as_u64()
        ),
        (Some(0), Some(2)),
        "{}",
        retry.body
    );

    // A read waits for those bodies as long as SQLite waits for a lock.
    let started = Instant::now();
    let read = api.get("/api/device/locked").await;
    assert_eq!(read.status, 503, "{}", read.body);
    assert_eq!(
        read.body,
        json!({"error": "store unavailable, retry later"})
    );
    assert_eq!(read.headers["retry-after"], "5");
    assert_eq!(read.headers["content-type"], "application/json");
    assert!(
        started.elapsed() >= Duration::from_millis(4500),
        "{:?}",
        started.elapsed()
    );

    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    assert_eq!(stored_ids(&api, "locked").await, ["locked-1", "locked-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_after_a_body_waits_for_the_lock_to_go() {
    let server = Server::start(&[]);
    let api = server.client();
    let holder = lock(&server.db);
    let started = Instant::now();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        holder.execute_batch("COMMIT").unwrap();
    });

    let reply = api.post_json("/events", &body("waited")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["accepted"], 2, "{}", reply.body);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "answered before the release"
    );
    assert_eq!(stored_ids(&api, "waited").await, ["waited-1", "waited-2"]);
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the read waited: {:?}",
        started.elapsed()
    );
    release.join().unwrap();
}
