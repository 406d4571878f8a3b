//! The embedded adapter: one SQLite file (WAL), inspectable with the sqlite3 shell.
//!
//! Two halves: the [`engine`] (the writer thread, checkpoints, packing of raw
//! messages, bulk loads) that any table goes through, and the [`tables`] that
//! hold events, identity claims, derivation states, markers and the ledger
//! behind the port's traits.
//!
//! SQLite calls block. Reads run on tokio's blocking pool on one connection;
//! writes go to the writer thread's own connection, which commits every write
//! queued meanwhile in one transaction ([`engine::writer`]). In WAL mode reads do not
//! wait for the writer.
//!
//! Queries that bind a value in an `= ?` term and also sort write the parameter
//! as `+?1`. With a bare `?1` the planner looks at the bound value while it
//! weighs the `ORDER BY` (and partial indexes), which makes SQLite re-prepare
//! the statement before every run: over a tenth of the writer's time went to
//! parsing SQL. The unary plus changes nothing else; the index is still used.

mod engine;
mod tables;

use engine::{bulk, checkpoint, packing, writer};
use tables::schema;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use sma_store::StoreError;

/// SQLite's page cache per connection.
const CACHE_KIB: i64 = 8 * 1024;
/// The page size of a new database. Larger pages than SQLite's 4 KiB mean
/// shallower trees and fewer WAL frames per write: an import of a million
/// events ran about 10% faster with 16 KiB pages (20% for a quarter of it),
/// and 32 KiB or more were slower again.
const PAGE_SIZE: i64 = 16 * 1024;
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

/// The embedded store: cheap to clone, all clones share one reading
/// connection, one writer and, once started, one intake log.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    writer: Arc<writer::Writer>,
    /// Set while a bulk load has put off the device index.
    devices_unindexed: Arc<AtomicBool>,
    dictionaries: Arc<packing::Dictionaries>,
    /// The readers' copy of the path ids.
    path_ids: Arc<Mutex<tables::path_days::PathIds>>,
    _checkpointer: Arc<checkpoint::Checkpointer>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to
    /// date.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let dictionaries = Arc::new(packing::Dictionaries::default());
        let mut conn = connect(path)?;
        schema::migrate(&mut conn)?;
        bulk::ensure_indexes(&conn)?;
        dictionaries.load(&conn).map_err(sql)?;
        // Read at open rather than by the first report that needs them.
        let mut path_ids = tables::path_days::PathIds::default();
        path_ids.catch_up(&conn).map_err(sql)?;
        let writing = connect(path)?;
        for conn in [&conn, &writing] {
            dictionaries.register(conn).map_err(sql)?;
        }
        let catch_up = Arc::new(AtomicBool::new(false));
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            writer: Arc::new(writer::Writer::start(
                writing,
                Arc::clone(&catch_up),
                Arc::clone(&dictionaries),
            )?),
            dictionaries,
            path_ids: Arc::new(Mutex::new(path_ids)),
            devices_unindexed: Arc::new(AtomicBool::new(false)),
            _checkpointer: Arc::new(checkpoint::Checkpointer::start(path, catch_up)?),
            path: Arc::new(path.to_path_buf()),
        })
    }

    /// Gives the writer a page cache of `mib` MiB, for bulk writes (an import):
    /// index pages then stay cached across its large transactions. Not for
    /// many small ones: SQLite walks the cache at the end of each transaction.
    pub async fn with_write_cache_mib(self, mib: u32) -> Result<SqliteStore, StoreError> {
        let kib = -i64::from(mib) * 1024;
        self.write(move |conn| conn.pragma_update(None, "cache_size", kib))
            .await?;
        Ok(self)
    }

    /// Registers `sma_unpack(raw)` on a connection of one's own to a store's
    /// file: it reads `events.raw` and `touches.touch` as JSON whether they are
    /// packed or not ([`packing`]). (`sma_pack` comes with it.) And
    /// `sma_path_totals(totals)`, a day of `path_days` as JSON.
    pub fn register_functions(conn: &Connection) -> Result<(), StoreError> {
        let dictionaries = Arc::new(packing::Dictionaries::default());
        dictionaries.load(conn).map_err(sql)?;
        dictionaries.register(conn).map_err(sql)?;
        tables::path_days::register(conn).map_err(sql)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs the write `f` in the writer's next transaction; answers once that
    /// has committed (during a bulk load: once applied, see [`writer`]).
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.writer.write(f).await
    }

    /// Runs the read `f` with the reading connection on the blocking pool;
    /// during a bulk load, on the writer's connection after the writes
    /// answered before it ([`writer::Writer::read_in_bulk`]).
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        match self.writer.read_in_bulk(f).await {
            Ok(read) => read,
            Err(f) => self.run_committed(move |conn| f(conn)).await,
        }
    }

    /// Runs `f` with the reading connection on the blocking pool; during a
    /// bulk load, once what the writer holds open is committed.
    async fn run_committed<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.writer.commit_for_read().await?;
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn
                .lock()
                .map_err(|_| StoreError::Backend("connection mutex poisoned".into()))?;
            f(&mut conn).map_err(sql)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
    }
}

/// A store in a directory of its own, for tests: the directory lasts as long
/// as the guard answered with it.
#[cfg(test)]
pub(crate) fn scratch_store() -> (tempfile::TempDir, PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    (dir, path, store)
}

/// A connection with the store's settings.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
    // Another process holding the write lock is waited for, not failed on.
    conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
    // A new file's page size (an existing file keeps its own).
    conn.pragma_update(None, "page_size", PAGE_SIZE)
        .map_err(sql)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sql)?;
    // NORMAL in WAL mode survives a process crash; only an OS crash can lose
    // the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql)?;
    // Page cache (negative: KiB). Kept moderate: SQLite walks the cache at the
    // end of each transaction, so a large one slows every commit.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)
        .map_err(sql)?;
    // Room for every statement the writer runs per event (the default, 16, is
    // fewer, and an evicted statement is parsed again).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // No commit checkpoints: the checkpoint thread does ([`checkpoint`]).
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(sql)?;
    Ok(conn)
}

fn sql(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(format!("database is locked by another connection: {e}"))
        }
        Some(ErrorCode::DiskFull | ErrorCode::SystemIoFailure) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    /// New files get the larger page; a file made with another keeps its own
    /// (SQLite cannot change it in WAL mode).
    #[test]
    fn new_databases_get_the_store_page_size_and_old_ones_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let page_size = |path: &std::path::Path| -> i64 {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.query_row("PRAGMA page_size", [], |r| r.get(0))
                .unwrap()
        };
        let new = dir.path().join("new.db");
        drop(super::SqliteStore::open(&new).unwrap());
        assert_eq!(page_size(&new), super::PAGE_SIZE);
        let old = dir.path().join("old.db");
        rusqlite::Connection::open(&old)
            .unwrap()
            .execute_batch(
                "PRAGMA page_size = 4096; CREATE TABLE t (x); PRAGMA journal_mode = WAL;",
            )
            .unwrap();
        drop(super::SqliteStore::open(&old).unwrap());
        assert_eq!(page_size(&old), 4096);
    }

    /// The per-event queries run from the statement cache as prepared, however
    /// many values are bound to them (see the module documentation).
    #[test]
    fn sorting_queries_are_not_re_prepared_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = super::connect(&dir.path().join("t.db")).unwrap();
        let dictionaries = std::sync::Arc::new(super::engine::packing::Dictionaries::default());
        dictionaries.register(&conn).unwrap();
        super::tables::schema::migrate(&mut conn).unwrap();
        for (sql, bounds) in [
            (super::tables::events::DEVICE_ROWS, true),
            (super::tables::identity::OWNER, false),
        ] {
            for id in ["a", "b", "c", "d"] {
                let mut stmt = conn.prepare_cached(sql).unwrap();
                let found = if bounds {
                    stmt.query_map(rusqlite::params![id, 0, i64::MAX], |_| Ok(()))
                        .unwrap()
                        .count()
                } else {
                    stmt.query_map([id], |_| Ok(())).unwrap().count()
                };
                assert_eq!(found, 0);
            }
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }
}
