//! The embedded adapter: one SQLite file (WAL), inspectable with the sqlite3 shell.
//!
//! Two halves: the [`engine`] (the writer thread, checkpoints, packing of raw
//! messages, bulk loads) that any table goes through, and the [`tables`] that
//! hold events, identity claims and touches behind the port's traits. The
//! [`intake_log`] sits in front of both, answering bodies before they are
//! applied.
//!
//! SQLite calls block. Reads run on tokio's blocking pool on one connection;
//! writes go to the writer thread's own connection, which commits every write
//! queued meanwhile in one transaction ([`engine::writer`]). In WAL mode reads do not
//! wait for the writer; with the intake log started ([`intake_log`]), intake is
//! answered before the writer applies it, and reads wait for what was answered
//! before them.
//!
//! Queries that bind a value in an `= ?` term and also sort write the parameter
//! as `+?1`. With a bare `?1` the planner looks at the bound value while it
//! weighs the `ORDER BY` (and partial indexes), which makes SQLite re-prepare
//! the statement before every run: over a tenth of the writer's time went to
//! parsing SQL. The unary plus changes nothing else; the index is still used.

mod engine;
mod intake;
mod intake_log;
mod tables;

use engine::{bulk, checkpoint, packing, writer};
use tables::schema;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use sma_store::{DeriveTouches, StoreError};

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
    intake_log: Arc<OnceLock<Arc<intake_log::IntakeLog>>>,
    dictionaries: Arc<packing::Dictionaries>,
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
            intake_log: Arc::new(OnceLock::new()),
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

    /// From now on answers each intake once it is in a log beside the
    /// database (`<file>-intake.<n>`) and applies it after ([`intake_log`]);
    /// first applies what an earlier run left there, with `derive` for their
    /// touches. For a server: a 2xx no longer waits for a commit.
    pub fn start_intake_log(&self, derive: impl DeriveTouches) -> Result<(), StoreError> {
        let derive: intake::Derive = Arc::new(derive);
        let log = intake_log::IntakeLog::start(&self.path, &self.writer, &derive)?;
        self.intake_log
            .set(Arc::new(log))
            .map_err(|_| StoreError::Backend("the intake log is started already".into()))
    }

    /// Waits up to `within` until every body taken in is applied (a server's
    /// last step; what is left stays in the log for the next start).
    pub async fn finish_intake_log(&self, within: Duration) -> Result<(), StoreError> {
        match self.intake_log.get() {
            Some(log) => log.caught_up(within).await,
            None => Ok(()),
        }
    }

    /// Registers `sma_unpack(raw)` on a connection of one's own to a store's
    /// file: it reads `events.raw` and `touches.touch` as JSON whether they are
    /// packed or not ([`packing`]). (`sma_pack` comes with it.)
    pub fn register_functions(conn: &Connection) -> Result<(), StoreError> {
        let dictionaries = Arc::new(packing::Dictionaries::default());
        dictionaries.load(conn).map_err(sql)?;
        dictionaries.register(conn).map_err(sql)
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
    /// during a bulk load, once what the writer holds open is committed.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        if let Some(log) = self.intake_log.get() {
            log.read_after_writes().await?;
        }
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

/// Ends a write with a store error (the write's changes roll back); [`sql`]
/// gives the error back. (`ToSqlConversionFailure` is the variant that carries
/// any error without rusqlite's optional features.)
fn abort_with(e: StoreError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn sql(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::ToSqlConversionFailure(inner) = &e
        && let Some(e) = inner.downcast_ref::<StoreError>()
    {
        return e.clone();
    }
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
        for sql in [
            super::tables::events::DEVICE_ROWS,
            super::tables::identity::OWNER,
        ] {
            for id in ["a", "b", "c", "d"] {
                let mut stmt = conn.prepare_cached(sql).unwrap();
                assert_eq!(stmt.query_map([id], |_| Ok(())).unwrap().count(), 0);
            }
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }
}
