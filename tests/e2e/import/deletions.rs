//! An archive's `delete` messages erase their users once the rest is
//! imported, and `sma delete --user` erases one by hand.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::{Scratch, n};

fn history(user: &str, device: &str) -> Vec<String> {
    [
        json!({"type": "page", "messageId": format!("{user}-p"), "anonymousId": device,
               "timestamp": "2024-05-01T10:00:00Z",
               "properties": {"url": "https://acme.io/?utm_source=newsletter&utm_medium=email"}}),
        json!({"type": "identify", "messageId": format!("{user}-i"), "anonymousId": device,
               "userId": user, "timestamp": "2024-05-01T10:01:00Z"}),
        json!({"type": "track", "messageId": format!("{user}-t"), "userId": user,
               "event": "Signed Up", "timestamp": "2024-05-01T10:02:00Z"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect()
}

/// Rows of `table` whose `column` is one of `ids`.
fn rows(db: &std::path::Path, table: &str, column: &str, ids: &[&str]) -> i64 {
    let conn = Connection::open(db).unwrap();
    let list = serde_json::to_string(ids).unwrap();
    conn.query_row(
        &format!(
            "SELECT count(*) FROM {table} WHERE {column} IN (SELECT value FROM json_each(?1))"
        ),
        [list],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn an_archives_deletions_and_sma_delete_erase_their_users() {
    let s = Scratch::new();
    let db = s.path("sma.db");
    let file = s.path("with-deletion.jsonl");
    let mut lines = history("u-gone", "a-gone");
    // The deletion comes before the user's last event: it still goes.
    lines.insert(
        2,
        json!({"type": "delete", "userId": "u-gone", "messageId": "d1"}).to_string(),
    );
    lines.extend(history("u-kept", "a-kept"));
    std::fs::write(&file, lines.join("\n")).unwrap();

    let (output, summary) = s.import(&db, &[&file]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        (n(&summary, "stored"), n(&summary, "deletions")),
        (6, 1),
        "{summary}"
    );
    assert_eq!(summary["erased"]["events"], 3, "{summary}");
    assert_eq!(rows(&db, "events", "anonymous_id", &["a-gone"]), 0);
    assert_eq!(rows(&db, "events", "user_id", &["u-gone"]), 0);
    assert_eq!(rows(&db, "touches", "device", &["a-gone"]), 0);
    assert_eq!(rows(&db, "events", "user_id", &["u-kept"]), 2);

    let output = s
        .sma(&db)
        .args(["delete", "--user", "u-kept"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let erased: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(erased["events"], 3, "{erased}");
    assert_eq!(erased["touches"], 1, "{erased}");
    assert_eq!(rows(&db, "events", "anonymous_id", &["a-kept"]), 0);
    assert_eq!(rows(&db, "identity_claims", "user_id", &["u-kept"]), 0);
    assert_eq!(rows(&db, "markers", "carrier", &["usr:u-kept"]), 0);
    assert_eq!(rows(&db, "journeys", "owner", &["usr:u-kept"]), 0);
    let digests: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM erased", [], |r| r.get(0))
        .unwrap();
    assert_eq!(digests, 6, "a digest per erased message");
}
