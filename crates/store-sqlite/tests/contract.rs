//! The store contract against the embedded SQLite adapter, on a real file.

use sma_store::testing as contract;

use sma_store_sqlite::SqliteStore;

fn fresh() -> SqliteStore {
    let dir = tempfile::tempdir().unwrap().keep();
    SqliteStore::open(dir.join("sma.db")).unwrap()
}

sma_store::contract_tests!(fresh());

#[tokio::test]
async fn data_survives_reopening_the_file() {
    use sma_store::{EventStore, IdentityStore};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/sma.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .put_events(&[contract::page("m1", "a1", 1)])
            .await
            .unwrap();
        let link = sma_spec::IdentityLink {
            anonymous_id: "a1".into(),
            user_id: "u1".into(),
        };
        store.link(&link, contract::at(2), "i1").await.unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.device_events("a1").await.unwrap().len(), 1);
    assert_eq!(store.devices_of("u1").await.unwrap(), ["a1"]);
    assert_eq!(
        store
            .put_events(&[contract::page("m1", "a1", 1)])
            .await
            .unwrap(),
        [false]
    );
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sma.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let error = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("newer than this sma"), "{error}");
}

/// A store of schema 12 kept its path totals one row per (day, path): opening
/// it packs them per day by path id, and reports read the same sums.
#[tokio::test]
async fn path_totals_of_an_earlier_schema_are_packed_per_day() {
    use sma_store::LedgerStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sma.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        r#"DROP TABLE path_days;
        DROP TABLE paths;
        CREATE TABLE path_totals (
            day TEXT NOT NULL, path TEXT NOT NULL, conversions INTEGER NOT NULL,
            non_conversions INTEGER NOT NULL, value REAL NOT NULL,
            days REAL NOT NULL DEFAULT 0, PRIMARY KEY (day, path)
        ) WITHOUT ROWID;
        INSERT INTO path_totals VALUES
            ('2024-03-01', '["Email","Direct"]', 1, 0, 10.0, 2.0),
            ('2024-03-02', '["Email","Direct"]', 2, 1, 30.0, 4.0),
            ('2024-03-02', '["Organic Search"]', 0, 0, 0.0, 0.0),
            ('2024-03-03', '["Referral"]', 0, 2, 0.0, 0.0);
        PRAGMA user_version = 12;"#,
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let day = |d| chrono::NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
    let mut totals = store.path_totals(day(1), day(4)).await.unwrap().spelled();
    totals.sort_by(|a, b| a.path.cmp(&b.path));
    let got: Vec<(Vec<String>, i64, i64, f64, f64)> = totals
        .into_iter()
        .map(|t| (t.path, t.conversions, t.non_conversions, t.value, t.days))
        .collect();
    let path = |p: &[&str]| p.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got,
        [
            (path(&["Email", "Direct"]), 3, 1, 40.0, 6.0),
            (path(&["Referral"]), 0, 2, 0.0, 0.0),
        ]
    );
    let left: i64 = rusqlite::Connection::open(dir.path().join("sma.db"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'path_totals'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the per-row table is dropped");
}

/// Commits only append to the WAL (commit checkpoints are off); the checkpoint
/// thread copies it back into the database file while the store stays open.
#[tokio::test]
async fn the_wal_is_copied_back_into_the_database_in_the_background() {
    use sma_store::EventStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sma.db");
    let store = SqliteStore::open(&path).unwrap();
    let empty = std::fs::metadata(&path).unwrap().len();
    for batch in 0..20 {
        let pages: Vec<_> = (0..50)
            .map(|i| contract::page(&format!("m{batch}-{i}"), &format!("a{i}"), 1))
            .collect();
        store.put_events(&pages).await.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let grown = loop {
        let now = std::fs::metadata(&path).unwrap().len();
        if now > empty + 100 * 1024 || std::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        grown > empty + 100 * 1024,
        "the database file stayed at {grown} bytes (empty: {empty}): nothing was checkpointed"
    );
    assert_eq!(store.device_events("a7").await.unwrap().len(), 20);
}
