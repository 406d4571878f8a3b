use std::path::Path;

use chrono::DateTime;
use rusqlite::Connection;
use sma_spec::{Message, MessageType};

use super::TRAIN_AT;
use crate::SqliteStore;
use sma_store::{DeviceChange, EventStore, StoreError, TouchRecord, TouchStore};

/// Page view `n` of device `n % 97`: the varied URLs, referrers and agents of
/// a real site.
pub(crate) fn page(n: i64) -> Message {
    let device = format!("device-{:04}", n % 97);
    let agents = [
        "Mozilla/5.0 (Macintosh) Chrome/124.0",
        "Mozilla/5.0 (iPhone) Safari/604.1",
    ];
    let raw = serde_json::json!({
        "type": "page", "messageId": format!("m-{n:06}"), "anonymousId": device,
        "timestamp": "2024-03-01T09:00:00Z",
        "context": {
            "page": {
                "url": format!("https://acme.io/blog/post-{}?utm_source=news&utm_campaign=c{}", n % 37, n % 5),
                "referrer": format!("https://www.google.com/search?q=term+{}", n % 11),
                "title": format!("Post {} – Acme blog", n % 37),
            },
            "userAgent": agents[(n % 2) as usize],
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
        },
        "properties": {"path": format!("/blog/post-{}", n % 37), "n": n},
    })
    .to_string();
    let at = DateTime::from_timestamp_millis(1_709_283_600_000 + n).unwrap();
    Message::from_stored(&raw, MessageType::Page, at).unwrap()
}

/// Stores pages `from..to` in writes of `per_write`.
async fn put(store: &SqliteStore, from: i64, to: i64, per_write: i64) {
    let mut start = from;
    while start < to {
        let end = (start + per_write).min(to);
        let pages: Vec<Message> = (start..end).map(page).collect();
        store.put_events(&pages).await.unwrap();
        start = end;
    }
}

/// Every stored `raw`, by messageId: (SQLite type, bytes).
fn raw_values(path: &Path) -> Vec<(String, String, Vec<u8>)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT message_id, typeof(raw), CAST(raw AS BLOB) FROM events ORDER BY message_id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn dictionaries(path: &Path) -> Vec<Vec<u8>> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT dictionary FROM raw_dictionaries ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every device's events read back as their messages' raw JSON.
async fn read_back(store: &SqliteStore) -> Vec<String> {
    let devices: Vec<String> = (0..97).map(|d| format!("device-{d:04}")).collect();
    let mut raws = Vec::new();
    for device in &devices {
        raws.extend(
            store
                .device_events(device)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.raw),
        );
    }
    raws.sort();
    raws
}

fn expected(to: i64) -> Vec<String> {
    let mut raws: Vec<String> = (0..to).map(|n| page(n).raw).collect();
    raws.sort();
    raws
}

#[tokio::test]
async fn messages_after_the_first_thousands_are_packed_and_read_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    put(&store, 0, 1_500, 500).await;
    assert!(
        dictionaries(&path).is_empty(),
        "trained before {TRAIN_AT} events"
    );
    put(&store, 1_500, 3_000, 500).await;
    assert_eq!(dictionaries(&path).len(), 1);

    let values = raw_values(&path);
    let packed: Vec<_> = values
        .iter()
        .filter(|(_, kind, _)| kind == "blob")
        .collect();
    // The write that crossed the threshold was stored as text; every later one packed.
    assert_eq!(TRAIN_AT, 2_000);
    assert_eq!(packed.len(), 1_000);
    assert!(packed.iter().all(|(id, _, _)| id.as_str() >= "m-002000"));
    let text: usize = values
        .iter()
        .filter(|v| v.1 == "text")
        .map(|v| v.2.len())
        .sum();
    let blobs: usize = packed.iter().map(|v| v.2.len()).sum();
    let (text_avg, packed_avg) = (text / 2_000, blobs / packed.len());
    assert!(
        packed_avg * 3 < text_avg,
        "packed {packed_avg} B, text {text_avg} B"
    );

    assert_eq!(read_back(&store).await, expected(3_000));
    // Reopened: the stored dictionary reads the old and packs the new.
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    put(&store, 3_000, 3_500, 500).await;
    assert_eq!(dictionaries(&path).len(), 1);
    assert_eq!(read_back(&store).await, expected(3_500));
}

#[tokio::test]
async fn a_store_reads_what_another_store_on_the_file_packed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (writer, reader) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    put(&writer, 0, 3_000, 1_000).await;
    assert_eq!(dictionaries(&path).len(), 1);
    // `reader` opened before the dictionary existed; it loads it when it meets it.
    assert_eq!(read_back(&reader).await, expected(3_000));
    // And packs with it instead of training one of its own.
    put(&reader, 3_000, 3_500, 500).await;
    assert_eq!(dictionaries(&path).len(), 1);
    assert_eq!(read_back(&writer).await, expected(3_500));
}

#[tokio::test]
async fn the_same_writes_pack_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut stores = Vec::new();
    for name in ["a.db", "b.db"] {
        let path = dir.path().join(name);
        let store = SqliteStore::open(&path).unwrap();
        put(&store, 0, 3_000, 650).await;
        stores.push((raw_values(&path), dictionaries(&path)));
    }
    assert_eq!(stores[0].1.len(), 1);
    assert!(
        stores[0] == stores[1],
        "packed bytes differ between two identical runs"
    );
}

#[tokio::test]
async fn a_corrupt_packed_message_is_an_error_for_its_device_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    put(&store, 0, 3_000, 1_000).await;
    let conn = Connection::open(&path).unwrap();
    let corrupt = [
        // A frame cut short, a dictionary never stored, not a packed value at
        // all, text that is not UTF-8.
        "UPDATE events SET raw = substr(raw, 1, 12) WHERE message_id = 'm-002900'",
        "UPDATE events SET raw = CAST(x'7a09000000' || substr(raw, 6) AS BLOB) WHERE message_id = 'm-002901'",
        "UPDATE events SET raw = x'00ff' WHERE message_id = 'm-002902'",
        "UPDATE events SET raw = CAST(x'7bff' AS TEXT) WHERE message_id = 'm-002903'",
    ];
    for (sql, n) in corrupt.iter().zip(2_900i64..) {
        conn.execute(sql, []).unwrap();
        let device = page(n).anonymous_id.unwrap();
        match store.device_events(&device).await {
            Err(StoreError::Backend(e)) => {
                assert!(e.contains("cannot read a stored raw message"), "{e}")
            }
            other => panic!("{sql}: {other:?}"),
        }
        conn.execute(
            "UPDATE events SET raw = ?1 WHERE message_id = ?2",
            (page(n).raw, page(n).message_id),
        )
        .unwrap();
    }
    // Every other device reads as before.
    assert_eq!(read_back(&store).await, expected(3_000));
}

#[tokio::test]
async fn touches_are_packed_too_and_read_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    put(&store, 0, 3_000, 1_000).await;
    let touches: Vec<TouchRecord> = (0..3)
        .map(|n| {
            let m = page(n * 97);
            TouchRecord {
                device: m.anonymous_id.clone().unwrap(),
                timestamp: m.timestamp,
                message_id: m.message_id.clone(),
                touch: serde_json::json!({"landing_page": m.url, "referrer": m.referrer, "n": n})
                    .into(),
            }
        })
        .collect();
    let device = touches[0].device.clone();
    let change = |expected, put: &[TouchRecord]| DeviceChange {
        device: device.clone(),
        expected,
        state: serde_json::json!({}).into(),
        put: put.to_vec(),
        remove: Vec::new(),
    };
    assert_eq!(
        store
            .commit_devices(&[change(None, &touches)])
            .await
            .unwrap(),
        [true]
    );
    let conn = Connection::open(&path).unwrap();
    let kinds: Vec<String> = conn
        .prepare("SELECT typeof(touch) FROM touches")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kinds, ["blob"; 3]);
    assert_eq!(store.device_touches(&device).await.unwrap(), touches);
    // Put again, packed touches read back the same.
    assert_eq!(
        store
            .commit_devices(&[change(Some(1), &touches)])
            .await
            .unwrap(),
        [true]
    );
    assert_eq!(store.device_touches(&device).await.unwrap(), touches);
}
