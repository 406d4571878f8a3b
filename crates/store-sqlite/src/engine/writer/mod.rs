//! Group commit: one thread owns the connection that writes. It takes every
//! write queued while the previous transaction committed, runs each in its own
//! savepoint inside one transaction, commits once, and only then reports to
//! each caller: an acknowledged write is committed, and many concurrent writes
//! share one commit instead of queueing for one each. (Under `sma serve` the
//! intake log answers bodies before this; see [`super::intake_log`].) A bulk
//! load changes that for its duration ([`bulk`]).

mod bulk;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use crate::engine::packing::Dictionaries;
use crate::sql;
use sma_store::StoreError;

/// Writes in one transaction at most (bounds a transaction's WAL frames).
const MAX_GROUP: usize = 256;
/// The pause after a transaction in which something failed: writes queued
/// again (the intake log's) are not retried in a tight loop while the database
/// is unavailable.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Reports the outcome of the transaction a write ran in.
type Finish = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;
/// A queued write: runs on the writer's connection (None: the transaction
/// could not begin), in a savepoint when `shared` (others run in the same
/// transaction); answers whether it succeeded and how to report the commit.
type Job = Box<dyn FnOnce(Option<&Connection>, bool) -> (bool, Finish) + Send>;
/// Answers an order that is not a write.
type Answer = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// What the writer thread is sent, and does in the order sent.
enum Order {
    Write(Job),
    /// Bulk mode on, committing at least this often ([`bulk`]), or off, which
    /// commits what it holds open.
    Bulk(Option<Duration>, Answer),
    /// Commits what bulk mode holds open.
    Commit(Answer),
    /// A read in bulk mode, on the writer's connection: it sees the open
    /// transaction, so nothing is committed for it.
    Read(Box<dyn FnOnce(&Connection) + Send>),
}

pub(crate) struct Writer {
    queue: mpsc::Sender<Order>,
    /// Whether bulk mode is on, as the store's readers need to know.
    bulk: AtomicBool,
}

impl Writer {
    /// Starts the writer thread on `conn`; it ends when every store clone is gone.
    /// Between transactions it finishes a checkpoint when `catch_up` asks.
    /// After its writes it trains a dictionary for raw messages once one is
    /// due ([`Dictionaries::train_if_due`]).
    pub(crate) fn start(
        conn: Connection,
        catch_up: Arc<AtomicBool>,
        dictionaries: Arc<Dictionaries>,
    ) -> Result<Writer, StoreError> {
        // Each write's savepoint journals the pages it changes; in memory that
        // costs a copy, not a temporary file's writes.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(sql)?;
        let (queue, orders) = mpsc::channel::<Order>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let thread = Thread {
                    conn: &conn,
                    catch_up: &catch_up,
                    dictionaries: &dictionaries,
                };
                thread.serve(&orders);
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            queue,
            bulk: AtomicBool::new(false),
        })
    }

    /// Runs `f` in the next group transaction; answers once that has committed
    /// (in bulk mode: once applied).
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
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
    pub(crate) fn submit<T, F>(
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
        self.send(Order::Write(job))
    }

    /// Turns bulk mode on, committing at least every `every`, or off ([`bulk`]);
    /// off answers once what it held open is committed, or with why the load's
    /// writes were lost.
    pub(crate) async fn bulk(&self, every: Option<Duration>) -> Result<(), StoreError> {
        if every.is_some() {
            self.bulk.store(true, Ordering::SeqCst);
        }
        let result = self.order(|answer| Order::Bulk(every, answer)).await;
        if every.is_none() {
            self.bulk.store(false, Ordering::SeqCst);
        }
        result
    }

    /// In bulk mode, runs the read `f` on the writer's connection, after
    /// every write answered before it, inside the transaction bulk mode holds
    /// open; answers `Err(f)` back outside bulk mode, for the reading
    /// connection. Committing for every read instead wrote each batch's index
    /// pages through the WAL again, and the reading connection then missed
    /// its cache on every page that commit changed.
    pub(crate) async fn read_in_bulk<T, F>(&self, f: F) -> Result<Result<T, StoreError>, F>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        if !self.bulk.load(Ordering::SeqCst) {
            return Err(f);
        }
        let (done, answer) = tokio::sync::oneshot::channel();
        let read = Box::new(move |conn: &Connection| drop(done.send(f(conn).map_err(sql))));
        if let Err(e) = self.send(Order::Read(read)) {
            return Ok(Err(e));
        }
        Ok(answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Backend("the writer thread has stopped".into()))))
    }

    /// Before a read that must see the file as committed (a checkpoint): in
    /// bulk mode, commits what the writer holds open.
    pub(crate) async fn commit_for_read(&self) -> Result<(), StoreError> {
        if !self.bulk.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.order(Order::Commit).await
    }

    async fn order(&self, order: impl FnOnce(Answer) -> Order) -> Result<(), StoreError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.send(order(Box::new(move |result| drop(done.send(result)))))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?
    }

    fn send(&self, order: Order) -> Result<(), StoreError> {
        self.queue
            .send(order)
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))
    }
}

/// The writer thread's side.
struct Thread<'a> {
    conn: &'a Connection,
    catch_up: &'a AtomicBool,
    dictionaries: &'a Dictionaries,
}

impl Thread<'_> {
    /// Carries out orders until every sender is gone.
    fn serve(&self, orders: &mpsc::Receiver<Order>) {
        let mut bulk: Option<bulk::Load> = None;
        // An order taken while gathering a group of writes, to do next.
        let mut held: Option<Order> = None;
        loop {
            let order = match held.take() {
                Some(order) => order,
                None => match bulk::receive(orders, bulk.as_ref()) {
                    bulk::Received::Order(order) => order,
                    bulk::Received::Due => {
                        if let Some(load) = bulk.as_mut() {
                            // A failure is kept in the load and told to its next caller.
                            let _ = load.commit(self);
                        }
                        continue;
                    }
                    bulk::Received::Closed => break,
                },
            };
            match order {
                Order::Write(job) => match bulk.as_mut() {
                    Some(load) => load.apply(self, job),
                    None => {
                        let mut group = vec![job];
                        while group.len() < MAX_GROUP {
                            match orders.try_recv() {
                                Ok(Order::Write(job)) => group.push(job),
                                Ok(other) => {
                                    held = Some(other);
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        self.group_commit(group);
                    }
                },
                Order::Bulk(Some(every), answer) => {
                    bulk.get_or_insert_with(|| bulk::Load::new(every));
                    answer(Ok(()));
                }
                Order::Bulk(None, answer) => {
                    answer(bulk.take().map_or(Ok(()), |mut load| load.commit(self)));
                }
                Order::Commit(answer) => {
                    answer(bulk.as_mut().map_or(Ok(()), |load| load.commit(self)));
                }
                Order::Read(read) => read(self.conn),
            }
        }
        if let Some(mut load) = bulk
            && let Err(e) = load.commit(self)
        {
            tracing::error!(error = %e, "the bulk load's last transaction was lost");
        }
    }

    /// Before a transaction: a checkpoint if asked for.
    fn between_transactions(&self) {
        crate::engine::checkpoint::writer_catch_up(self.conn, self.catch_up);
    }

    /// After a write is applied (committed, outside bulk mode): a dictionary
    /// if due, so that the next write's caller packs with it.
    fn train_if_due(&self) {
        if let Err(e) = self.dictionaries.train_if_due(self.conn) {
            // Values stay text meanwhile; the next transaction tries again.
            tracing::warn!(error = %e, "cannot train a dictionary for raw messages");
        }
    }

    /// Rolls back bulk mode's transaction, and a dictionary trained in it.
    fn roll_back(&self) {
        let _ = run(self.conn, "ROLLBACK");
        if let Err(e) = self.dictionaries.reload(self.conn) {
            tracing::error!(error = %e, "cannot reload the dictionaries for raw messages");
        }
    }

    /// Runs a group of writes in one transaction, each in a savepoint when
    /// there are several, and reports the commit to each.
    fn group_commit(&self, group: Vec<Job>) {
        let conn = self.conn;
        self.between_transactions();
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
        } else {
            self.train_if_due();
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
