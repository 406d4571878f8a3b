//! Bulk loads: an import into an empty store builds the indexes of `events`
//! once, at its end, instead of inserting into them event by event. Their keys
//! land all over each index, so every transaction of the load rewrote most of
//! their pages through the WAL; built afterwards each is one sort, on worker
//! threads ([`sorting_in_parallel`]). The load's own reads of a device's
//! events (rare: a late event) need `events_by_device`: the first of them
//! builds it, and events stored after that go into it one by one.
//!
//! A load that never ends (killed) leaves the indexes missing: every open puts
//! them back ([`ensure_indexes`]), so at worst reads are slow until then.

use std::sync::atomic::Ordering;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::SqliteStore;
use sma_store::StoreError;

/// The indexes a bulk load puts off: name, and how to build it. The device
/// index first, as the one the load's own touch writes need.
const DEFERRABLE: [(&str, &str); 3] = [
    (
        "events_by_device",
        "CREATE INDEX IF NOT EXISTS events_by_device ON events (anonymous_id, ts) WHERE anonymous_id IS NOT NULL",
    ),
    (
        "events_by_user",
        "CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, ts) WHERE user_id IS NOT NULL",
    ),
    (
        "events_by_time",
        "CREATE INDEX IF NOT EXISTS events_by_time ON events (ts)",
    ),
];

impl SqliteStore {
    /// A bulk load (an import) begins: when the store holds no events yet, the
    /// indexes of `events` are put off until [`SqliteStore::end_bulk_load`]
    /// (or, should the load never end, the next open); and the writer commits
    /// at most every `commit_every` rather than every write, so a kill can lose
    /// what was answered since the last commit (an idempotent load run again
    /// restores it). Reads still see every write answered before them.
    pub async fn begin_bulk_load(&self, commit_every: Duration) -> Result<(), StoreError> {
        let deferred = self
            .write(|tx| {
                let empty = tx
                    .query_row("SELECT 1 FROM events LIMIT 1", [], |_| Ok(()))
                    .optional()?
                    .is_none();
                if empty {
                    for (name, _) in DEFERRABLE {
                        tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
                    }
                }
                Ok(empty)
            })
            .await?;
        self.devices_unindexed.store(deferred, Ordering::Release);
        tracing::debug!(deferred, ?commit_every, "bulk load");
        self.writer.bulk(Some(commit_every)).await
    }

    /// Ends a bulk load: the indexes it put off are built, and every write of
    /// the load is committed (or the error says it was not).
    pub async fn end_bulk_load(&self) -> Result<(), StoreError> {
        let built = self
            .write(|tx| {
                missing(tx)?
                    .into_iter()
                    .try_for_each(|(_, sql)| build(tx, sql))
            })
            .await;
        self.devices_unindexed.store(false, Ordering::Release);
        // Ends bulk mode whatever became of the indexes: what it holds is committed.
        let ended = self.writer.bulk(None).await;
        built.and(ended)
    }

    /// Before a read by device: builds `events_by_device` if a bulk load put
    /// it off.
    pub(crate) async fn index_devices(&self) -> Result<(), StoreError> {
        if !self.devices_unindexed.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        self.write(|tx| {
            let (name, sql) = DEFERRABLE[0];
            if exists(tx, name)? {
                return Ok(());
            }
            build(tx, sql)
        })
        .await
    }
}

/// Keys sorted per run of an index build. SQLite sorts a build's keys in runs
/// no larger than the page cache, each on a worker thread while the table scan
/// goes on, and merges them; with the import's 512 MiB cache a million events'
/// keys were one run, sorted on the writer's thread alone while the other core
/// idled. In 16 MiB runs a million-event import was 7–8% faster (eight
/// alternating pairs); runs of 1 to 8 MiB measured the same.
const SORT_RUN_KIB: i64 = 16 * 1024;

/// Runs `build` (index builds) with SQLite's sorter on worker threads, which it
/// uses only with temporary files (the writer otherwise keeps temporary data in
/// memory) and for runs of keys (`run_kib` KiB) smaller than the page cache:
/// the cache is that small for the build alone (the pages it drops are read
/// back from the OS's cache). The settings are put back afterwards, whatever
/// became of `build`.
fn sorting_in_parallel(
    conn: &Connection,
    run_kib: i64,
    build: impl FnOnce() -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    let temp: i64 = conn.pragma_query_value(None, "temp_store", |r| r.get(0))?;
    let threads: i64 = conn.pragma_query_value(None, "threads", |r| r.get(0))?;
    conn.pragma_update(None, "temp_store", "FILE")?;
    conn.pragma_update(None, "threads", workers)?;
    conn.pragma_update(None, "cache_size", -run_kib)?;
    let built = build();
    let restored = conn
        .pragma_update(None, "cache_size", cache)
        .and_then(|()| conn.pragma_update(None, "threads", threads))
        .and_then(|()| conn.pragma_update(None, "temp_store", temp));
    built.and(restored)
}

/// The deferrable indexes that are not there: name, and how to build it.
fn missing(conn: &Connection) -> rusqlite::Result<Vec<(&'static str, &'static str)>> {
    let mut missing = Vec::new();
    for index in DEFERRABLE {
        if !exists(conn, index.0)? {
            missing.push(index);
        }
    }
    Ok(missing)
}

/// Builds one index, its keys sorted on worker threads.
fn build(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    sorting_in_parallel(conn, SORT_RUN_KIB, || conn.execute_batch(sql))
}

/// Whether the index named `index` exists.
fn exists(conn: &Connection, index: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1",
        [index],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// At open: builds the deferrable indexes a bulk load that never ended left
/// missing. Only a missing index takes the write lock; when another process
/// holds it (the load itself, still running), the store opens without, and
/// says so.
pub(crate) fn ensure_indexes(conn: &Connection) -> Result<(), StoreError> {
    for (name, sql) in missing(conn).map_err(crate::sql)? {
        tracing::info!(index = name, "building an index a bulk load put off");
        match build(conn, sql).map_err(crate::sql) {
            Ok(()) => {}
            Err(StoreError::Unavailable(e)) => {
                tracing::warn!(index = name, error = %e, "index not built (a bulk load is running?): reads by it are slow until it is");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sma_spec::{Message, MessageType};

    use sma_store::EventStore;

    use crate::SqliteStore;

    fn indexes(path: &std::path::Path) -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn message(id: &str) -> Message {
        let raw = format!(r#"{{"type":"page","messageId":"{id}","anonymousId":"a","userId":"u"}}"#);
        Message::from_stored(&raw, MessageType::Page, Utc.timestamp_opt(1, 0).unwrap()).unwrap()
    }

    /// A new, empty store with a bulk load begun.
    async fn loading(
        commit_every: std::time::Duration,
    ) -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
        let (dir, path, store) = crate::scratch_store();
        store.begin_bulk_load(commit_every).await.unwrap();
        (dir, path, store)
    }

    const ALL: [&str; 3] = ["events_by_device", "events_by_time", "events_by_user"];

    #[tokio::test]
    async fn an_empty_store_puts_off_the_indexes_until_the_load_ends() {
        let (_dir, path, store) = loading(std::time::Duration::ZERO).await;
        assert!(indexes(&path).is_empty());
        store.put_events(&[message("m1")]).await.unwrap();
        store.end_bulk_load().await.unwrap();
        assert_eq!(indexes(&path), ALL);
        // The rebuilt index serves reads by user.
        let events = store.user_events("u", &[]).await.unwrap();
        assert_eq!(events.len(), 1);
    }

    #[tokio::test]
    async fn a_store_with_events_keeps_its_indexes() {
        let (_dir, path, store) = crate::scratch_store();
        store.put_events(&[message("m1")]).await.unwrap();
        store
            .begin_bulk_load(std::time::Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(indexes(&path), ALL);
        store.end_bulk_load().await.unwrap();
    }

    #[tokio::test]
    async fn a_load_that_never_ended_is_mended_at_the_next_open() {
        let (_dir, path, store) = loading(std::time::Duration::ZERO).await;
        store.put_events(&[message("m1")]).await.unwrap();
        drop(store);
        assert!(indexes(&path).is_empty());
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(indexes(&path), ALL);
        assert_eq!(store.user_events("u", &[]).await.unwrap().len(), 1);
    }

    /// The writer's settings that an index build changes for its sort.
    async fn sort_settings(store: &SqliteStore) -> (i64, i64, i64) {
        store
            .write(|tx| {
                let get = |name: &str| tx.pragma_query_value(None, name, |r| r.get::<_, i64>(0));
                Ok((get("cache_size")?, get("temp_store")?, get("threads")?))
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_index_build_puts_back_the_writer_settings_it_sorts_with() {
        let (_dir, path, store) = loading(std::time::Duration::from_secs(600)).await;
        let before = sort_settings(&store).await;
        let events: Vec<Message> = (0..2_000).map(|n| message(&format!("m{n}"))).collect();
        store.put_events(&events).await.unwrap();
        store.index_devices().await.unwrap();
        // Memory for temporary data, no sorting threads, the cache it had.
        assert_eq!(before.1, 2);
        assert_eq!(sort_settings(&store).await, before);
        store.end_bulk_load().await.unwrap();
        assert_eq!(indexes(&path), ALL);
        assert_eq!(store.user_events("u", &[]).await.unwrap().len(), 2_000);
    }

    #[test]
    fn an_index_sorted_in_many_runs_on_threads_holds_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch(
            "PRAGMA temp_store = MEMORY;
             CREATE TABLE t (k TEXT, n INTEGER);
             WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < 50000)
             INSERT INTO t SELECT hex(randomblob(16)), n FROM i;",
        )
        .unwrap();
        // 50,000 keys of about 45 bytes, in runs of SQLite's least (ten
        // pages, 40 KiB here): some fifty runs, merged.
        super::sorting_in_parallel(&conn, 1, || {
            conn.execute_batch("CREATE INDEX t_by_k ON t (k, n)")
        })
        .unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let by_index: i64 = conn
            .query_row(
                "SELECT count(*) FROM t INDEXED BY t_by_k WHERE k > ''",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(by_index, 50_000);
        let temp: i64 = conn
            .query_row("PRAGMA temp_store", [], |r| r.get(0))
            .unwrap();
        assert_eq!(temp, 2, "temp_store put back");
    }

    #[tokio::test]
    async fn a_read_by_device_during_the_load_builds_the_device_index() {
        let (_dir, path, store) = loading(std::time::Duration::from_secs(600)).await;
        store
            .put_events(&[message("m1"), message("m2")])
            .await
            .unwrap();
        assert_eq!(store.device_events("a").await.unwrap().len(), 2);
        // Built in the load's open transaction, which commits it.
        store.writer.commit_for_read().await.unwrap();
        assert_eq!(indexes(&path), ["events_by_device"]);
        // Events stored after it go into it.
        store.put_events(&[message("m3")]).await.unwrap();
        store.end_bulk_load().await.unwrap();
        assert_eq!(indexes(&path), ALL);
        assert_eq!(store.device_events("a").await.unwrap().len(), 3);
    }
}
