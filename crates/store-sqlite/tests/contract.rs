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
