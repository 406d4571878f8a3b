//! Group commit: one thread owns the connection that writes. It takes every
//! write queued while the previous transaction committed, runs each in its own
//! savepoint inside one transaction, commits once, and only then reports to
//! each caller: an acknowledged write is committed, and many concurrent writes
//! share one commit instead of queueing for one each. (Under `sma serve` the
//! intake log answers bodies before this; see [`super::intake_log`].)

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;

use rusqlite::Connection;

use super::packing::Dictionaries;
use super::sql;
use crate::StoreError;

/// Writes in one transaction at most (bounds a transaction's WAL frames).
const MAX_GROUP: usize = 256;
/// The pause after a transaction in which something failed: writes queued
/// again (the intake log's) are not retried in a tight loop while the database
/// is unavailable.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// Reports the outcome of the transaction a write ran in.
type Finish = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;
/// A queued write: runs on the writer's connection (None: the transaction
/// could not begin), in a savepoint when `shared` (others run in the same
/// transaction); answers whether it succeeded and how to report the commit.
type Job = Box<dyn FnOnce(Option<&Connection>, bool) -> (bool, Finish) + Send>;

pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`; it ends when every store clone is gone.
    /// Between transactions it finishes a checkpoint when `catch_up` asks.
    /// Before each transaction it trains a dictionary for raw messages once one
    /// is due ([`Dictionaries::train_if_due`]).
    pub(super) fn start(
        conn: Connection,
        catch_up: Arc<AtomicBool>,
        dictionaries: Arc<Dictionaries>,
    ) -> Result<Writer, StoreError> {
        // Each write's savepoint journals the pages it changes; in memory that
        // costs a copy, not a temporary file's writes.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(sql)?;
        let (queue, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || group_commits(&conn, &jobs, &catch_up, &dictionaries))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { queue })
    }

    /// Runs `f` in the next group transaction; answers once that has committed.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (done, answer) = tokio::sync::oneshot::channel();
        // The caller may have gone (a request timed out): nothing to tell.
        self.submit(f, move |result| drop(done.send(result)))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?
    }

    /// Queues `f` for the next group transaction without waiting; once that has
    /// committed (or failed), `then` gets the outcome, on the writer thread.
    pub(super) fn submit<T, F>(
        &self,
        f: F,
        then: impl FnOnce(Result<T, StoreError>) + Send + 'static,
    ) -> Result<(), StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let job: Job = Box::new(move |conn, shared| {
            let result = conn.map(|conn| match shared {
                true => in_savepoint(conn, f),
                false => f(conn).map_err(sql),
            });
            let ok = matches!(result, Some(Ok(_)));
            let finish: Finish = Box::new(move |commit| {
                then(match (commit, result) {
                    (Ok(()), Some(result)) => result,
                    (Err(e), _) => Err(transaction_failed(e)),
                    (Ok(()), None) => Err(StoreError::Backend("write was not run".into())),
                })
            });
            (ok, finish)
        });
        self.queue
            .send(job)
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))
    }
}

fn group_commits(
    conn: &Connection,
    jobs: &mpsc::Receiver<Job>,
    catch_up: &AtomicBool,
    dictionaries: &Dictionaries,
) {
    while let Ok(first) = jobs.recv() {
        super::checkpoint::writer_catch_up(conn, catch_up);
        if let Err(e) = dictionaries.train_if_due(conn) {
            // Values stay text meanwhile; the next transaction tries again.
            tracing::warn!(error = %e, "cannot train a dictionary for raw messages");
        }
        let mut group = vec![first];
        group.extend(jobs.try_iter().take(MAX_GROUP - 1));
        // A write alone needs no savepoint (a bulk import's large writes skip
        // its page journal): if it fails, its whole transaction is rolled back.
        let shared = group.len() > 1;
        let started = std::time::Instant::now();
        let mut finishes = Vec::with_capacity(group.len());
        let mut a_write_failed = false;
        let outcome = match run(conn, "BEGIN IMMEDIATE") {
            Ok(()) => {
                let mut failed_alone = false;
                for job in group {
                    let (ok, finish) = job(Some(conn), shared);
                    a_write_failed |= !ok;
                    failed_alone |= !ok && !shared;
                    finishes.push(finish);
                }
                let end = if failed_alone { "ROLLBACK" } else { "COMMIT" };
                run(conn, end).inspect_err(|_| {
                    let _ = run(conn, "ROLLBACK");
                })
            }
            Err(e) => {
                finishes.extend(group.into_iter().map(|job| job(None, shared).1));
                Err(e)
            }
        };
        if let Err(e) = &outcome {
            tracing::error!(error = %e, writes = finishes.len(), "group commit failed");
        }
        tracing::trace!(writes = finishes.len(), elapsed = ?started.elapsed(), "group commit");
        for finish in finishes {
            finish(outcome.as_ref().map(|_| ()));
        }
        if outcome.is_err() || a_write_failed {
            std::thread::sleep(RETRY_PAUSE);
        }
    }
}

/// A transaction that failed as a whole (it could not begin or commit) failed
/// for the database's state, not for any one write in it: worth retrying.
fn transaction_failed(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(_) => e.clone(),
        other => StoreError::Unavailable(format!("the transaction failed: {other}")),
    }
}

/// One write's changes stand or fall together, without failing the others of
/// its group.
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    run(conn, "SAVEPOINT write")?;
    match f(conn) {
        Ok(value) => {
            run(conn, "RELEASE write")?;
            Ok(value)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO write; RELEASE write");
            Err(sql(e))
        }
    }
}

/// Runs one statement from the cache: these run for every write, and parsing
/// them anew each time showed in profiles.
fn run(conn: &Connection, statement: &str) -> Result<(), StoreError> {
    conn.prepare_cached(statement)
        .and_then(|mut s| s.execute([]))
        .map(drop)
        .map_err(sql)
}
