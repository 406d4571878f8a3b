//! What sma forgets, end to end through `sma serve`. Segment's `delete`: a
//! deleted user is gone from every answer, the reports drop by exactly their
//! conversions, the database file holds no byte of them, and a late retry of
//! one of their messages is not stored again. Retention (EVENTS_TTL_DAYS):
//! raw events go, the first touch they made stays and is still sent.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use crate::common::{Client, Server, identify, page, track};
use chrono::{SecondsFormat, Utc};
use segment_client::recorder::Recorder;
use serde_json::{Value, json};

const PERIOD: &str = "from=2024-06-01&to=2024-07-01";
const MODELS: [&str; 9] = [
    "first",
    "last",
    "last_non_direct",
    "linear",
    "time_decay",
    "position",
    "j_shaped",
    "inverse_j",
    "w_shaped",
];

/// Two users on three devices, each converting; the first is to be deleted.
fn history() -> Value {
    json!([
        page(
            "gone-p1",
            "anon-gone-laptop-7f3a",
            "2024-06-02T10:00:00Z",
            "https://acme.io/?utm_source=newsletter&utm_medium=email",
            ""
        ),
        page(
            "gone-p2",
            "anon-gone-phone-91bc",
            "2024-06-03T10:00:00Z",
            "https://acme.io/pricing",
            "https://www.google.com/"
        ),
        identify(
            "gone-i1",
            "anon-gone-laptop-7f3a",
            "user-gone-5e21",
            "2024-06-03T10:05:00Z"
        ),
        identify(
            "gone-i2",
            "anon-gone-phone-91bc",
            "user-gone-5e21",
            "2024-06-03T10:06:00Z"
        ),
        track(
            "gone-t1",
            "user-gone-5e21",
            "Signed Up",
            "2024-06-03T10:10:00Z",
            40.0
        ),
        track(
            "gone-t2",
            "user-gone-5e21",
            "Order Completed",
            "2024-06-04T10:10:00Z",
            200.0
        ),
        page(
            "stay-p1",
            "anon-stay-desk-04d2",
            "2024-06-05T10:00:00Z",
            "https://acme.io/",
            "https://news.ycombinator.com/"
        ),
        identify(
            "stay-i1",
            "anon-stay-desk-04d2",
            "user-stay-8c40",
            "2024-06-05T10:05:00Z"
        ),
        track(
            "stay-t1",
            "user-stay-8c40",
            "Signed Up",
            "2024-06-05T10:10:00Z",
            40.0
        ),
    ])
}

/// Each model's total conversions and value over the period.
async fn totals(api: &Client) -> BTreeMap<&'static str, (f64, f64)> {
    let mut totals = BTreeMap::new();
    for model in MODELS {
        let report = api
            .get(&format!("/api/report?model={model}&{PERIOD}"))
            .await;
        assert_eq!(report.status, 200, "{}", report.body);
        let rows = report.body["channels"].as_array().unwrap();
        let sum = |field: &str| rows.iter().map(|r| r[field].as_f64().unwrap()).sum::<f64>();
        totals.insert(model, (sum("conversions"), sum("value")));
    }
    totals
}

/// Whether the database (and its WAL) holds `needle` anywhere.
fn file_holds(server: &Server, needle: &str) -> bool {
    let mut paths = vec![server.db.clone()];
    paths.push(server.db.with_extension("db-wal"));
    paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

const GONE: [&str; 4] = [
    "user-gone-5e21",
    "anon-gone-laptop-7f3a",
    "anon-gone-phone-91bc",
    "user-gone-5e21@example.com",
];

#[tokio::test]
async fn a_deleted_user_is_erased_everywhere_and_stays_erased() {
    let server = Server::start(&[]);
    let api = server.client();
    let stored = api.post_json("/events", &history()).await;
    assert_eq!(stored.body["accepted"], 9, "{}", stored.body);
    assert_eq!(api.get("/api/user/user-gone-5e21").await.status, 200);
    let before = totals(&api).await;

    let delete = json!({"type": "delete", "userId": "user-gone-5e21", "messageId": "del-1"});
    let reply = api.post_json("/events", &delete).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["deletions"], 1);
    let erased = &reply.body["erased"];
    assert_eq!(erased["events"], 6, "{erased}");
    assert_eq!(erased["claims"], 2, "{erased}");
    assert_eq!(erased["touches"], 2, "{erased}");
    assert_eq!(erased["markers"], 2, "{erased}");

    assert_eq!(api.get("/api/user/user-gone-5e21").await.status, 404);
    for device in ["anon-gone-laptop-7f3a", "anon-gone-phone-91bc"] {
        assert_eq!(api.get(&format!("/api/device/{device}")).await.status, 404);
    }
    assert_eq!(api.get("/api/user/user-stay-8c40").await.status, 200);
    let after = totals(&api).await;
    for model in MODELS {
        let (b, a) = (before[model], after[model]);
        assert!((b.0 - a.0 - 2.0).abs() < 1e-9, "{model}: {b:?} -> {a:?}");
        assert!((b.1 - a.1 - 240.0).abs() < 1e-9, "{model}: {b:?} -> {a:?}");
    }

    for needle in GONE {
        assert!(
            !file_holds(&server, needle),
            "the database still holds {needle}"
        );
    }
    assert!(
        file_holds(&server, "anon-stay-desk-04d2"),
        "the search finds what is still there"
    );

    // Segment retries for hours: an old message of theirs comes again.
    let retry = api.post_json("/events", &history()[0]).await;
    assert_eq!(retry.body["accepted"], 0, "{}", retry.body);
    assert_eq!(retry.body["duplicates"], 1, "{}", retry.body);
    assert_eq!(
        api.get("/api/device/anon-gone-laptop-7f3a").await.status,
        404,
        "a retry of an erased message is not stored again"
    );
    assert_eq!(totals(&api).await, after);

    server.stop();
}

fn ago(hours: i64) -> String {
    (Utc::now() - chrono::Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The messageIds of a device's stored events.
async fn stored_events(api: &Client, device: &str) -> Vec<String> {
    let reply = api.get(&format!("/api/device/{device}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let events = reply.body["events"].as_array().unwrap();
    events
        .iter()
        .map(|e| e["messageId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_expires_raw_events_and_keeps_the_first_touch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    let retention = [("EVENTS_TTL_DAYS", "1")];
    let visits = json!([
        page(
            "r-p1",
            "anon-r",
            &ago(8 * 24),
            "https://acme.io/?utm_source=newsletter&utm_medium=email",
            ""
        ),
        page(
            "r-p2",
            "anon-r",
            &ago(2),
            "https://acme.io/pricing",
            "https://www.google.com/"
        ),
        identify("r-i1", "anon-r", "user-r", &ago(1)),
    ]);
    let server = Server::start_on(&db, &retention);
    let reply = server.client().post_json("/events", &visits).await;
    assert_eq!(reply.body["accepted"], 3, "{}", reply.body);
    assert!(server.stop().success());

    // The next start expires the week-old visit's raw event.
    let server = Server::start_on(&db, &retention);
    let api = server.client();
    let mut left = Vec::new();
    for _ in 0..100 {
        left = stored_events(&api, "anon-r").await;
        if left.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        left,
        ["r-p2", "r-i1"],
        "the raw event past the horizon is gone"
    );
    let user = api.get("/api/user/user-r").await.body;
    assert_eq!(user["touches"].as_array().unwrap().len(), 2, "{user}");
    assert_eq!(user["first_touch"]["channel"], "Email", "{user}");
    assert_eq!(user["first_touch"]["source"], "newsletter", "{user}");
    assert!(server.stop().success());

    let recorder = Recorder::start().await.unwrap();
    let backfill = Command::new(env!("CARGO_BIN_EXE_sma"))
        .args(["backfill", "--only", "identify"])
        .current_dir(dir.path())
        .env_clear()
        .env("SMA_DB", &db)
        .env("SEGMENT_ENDPOINT", recorder.url())
        .env("ANALYTICS_WRITE_KEY", "wk")
        .output()
        .unwrap();
    assert!(
        backfill.status.success(),
        "{}",
        String::from_utf8_lossy(&backfill.stderr)
    );
    let sent = recorder.messages();
    let identify = sent
        .iter()
        .find(|m| m["type"] == "identify" && m["userId"] == "user-r")
        .unwrap_or_else(|| panic!("no identify of user-r in {sent:#?}"));
    assert_eq!(
        identify["traits"]["source_first_channel"], "Email",
        "{identify}"
    );
    assert_eq!(
        identify["traits"]["source_first_source"], "newsletter",
        "{identify}"
    );
}
