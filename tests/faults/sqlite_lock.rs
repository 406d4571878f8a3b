//! The SQLite file write-locked by another process (`BEGIN EXCLUSIVE` held by a
//! second connection, as the sqlite3 shell or a backup tool would). The store
//! waits up to its busy timeout (5 s): a lock released in time only delays the
//! answer; a lock held longer is a JSON 503 with `Retry-After`, and the retry
//! Segment then makes stores everything.

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
    let reply = api.get(&format!("/api/anonymous/{device}")).await;
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
async fn a_lock_held_past_the_busy_timeout_is_a_retryable_json_503() {
    let server = Server::start(&[]);
    let api = server.client();
    let holder = lock(&server.db);

    let started = Instant::now();
    let reply = api.post_json("/events", &body("locked")).await;
    let waited = started.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"error": "store unavailable, retry later"})
    );
    assert_eq!(reply.headers["retry-after"], "5");
    assert_eq!(reply.headers["content-type"], "application/json");
    assert!(
        waited >= Duration::from_millis(4500),
        "busy timeout: {waited:?}"
    );
    // Reads are not blocked by a writer in WAL mode.
    assert_eq!(api.get("/api/report").await.status, 200);

    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    // Segment retries the same body: all of it is stored, nothing counted twice.
    let retry = api.post_json("/events", &body("locked")).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    let accepted = retry.body["accepted"].as_u64().unwrap();
    let duplicates = retry.body["duplicates"].as_u64().unwrap();
    assert_eq!(accepted + duplicates, 2, "{}", retry.body);
    assert_eq!(stored_ids(&api, "locked").await, ["locked-1", "locked-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_released_within_the_busy_timeout_is_waited_for() {
    let server = Server::start(&[]);
    let api = server.client();
    let holder = lock(&server.db);
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        holder.execute_batch("COMMIT").unwrap();
    });

    let started = Instant::now();
    let reply = api.post_json("/events", &body("waited")).await;
    let waited = started.elapsed();
    release.join().unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["accepted"], 2, "{}", reply.body);
    assert!(
        waited >= Duration::from_millis(1200),
        "it waited: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(stored_ids(&api, "waited").await, ["waited-1", "waited-2"]);
}
