//! Bulk mode, for an import: a write is answered once applied, and what is
//! applied is committed together, every few seconds and when bulk mode ends.
//! The load's reads run on the writer's connection, inside the open
//! transaction (`Writer::read_in_bulk`). An import writes
//! large batches whose keys land all over the indexes, so a commit per batch
//! wrote most index pages through the WAL again each time; committed less
//! often, a page that many batches change goes through the WAL once per commit.
//!
//! A kill loses what was applied since the last commit, which the load (an
//! idempotent import) stores when run again. A write that fails rolls back the
//! whole transaction, and with it writes already answered: every later write,
//! and the end of bulk mode, then fail and say so, so that the load stops
//! instead of carrying on without them.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::{Job, Order, Thread, run};
use sma_store::StoreError;

pub(super) enum Received {
    Order(Order),
    /// The open transaction is due to commit.
    Due,
    /// Every sender is gone.
    Closed,
}

/// The next order; with a transaction open, no later than its commit is due.
pub(super) fn receive(orders: &Receiver<Order>, load: Option<&Load>) -> Received {
    let due = load.and_then(|load| Some(load.since? + load.every));
    match due {
        None => orders.recv().map_or(Received::Closed, Received::Order),
        Some(due) => match orders.recv_timeout(due.saturating_duration_since(Instant::now())) {
            Ok(order) => Received::Order(order),
            Err(RecvTimeoutError::Timeout) => Received::Due,
            Err(RecvTimeoutError::Disconnected) => Received::Closed,
        },
    }
}

/// A bulk load in progress.
pub(super) struct Load {
    /// How long a transaction is held open at most.
    every: Duration,
    /// When the open transaction began; None while none is open.
    since: Option<Instant>,
    /// Why the load's writes are refused: writes it answered were lost.
    failed: Option<StoreError>,
}

impl Load {
    pub(super) fn new(every: Duration) -> Load {
        Load {
            every,
            since: None,
            failed: None,
        }
    }

    /// Applies a write in the open transaction (beginning one if needed) and
    /// answers it at once.
    pub(super) fn apply(&mut self, thread: &Thread<'_>, job: Job) {
        if let Some(e) = &self.failed {
            job(None, false).1(Err(e));
            return;
        }
        if self.since.is_none() {
            thread.between_transactions();
            if let Err(e) = run(thread.conn, "BEGIN IMMEDIATE") {
                job(None, false).1(Err(&e));
                return;
            }
            self.since = Some(Instant::now());
        }
        // No savepoint: it would copy every page the write changes, and a
        // failed write fails the load anyway.
        let (ok, finish) = job(Some(thread.conn), false);
        if ok {
            // In the transaction.
            thread.train_if_due();
        } else {
            thread.roll_back();
            self.since = None;
            self.failed = Some(StoreError::Backend(
                "a write of the bulk load failed, and the writes applied since its last \
                 commit were rolled back with it; run the load again"
                    .into(),
            ));
        }
        // Reports the write's own outcome.
        finish(Ok(()));
        if self
            .since
            .is_some_and(|since| since.elapsed() >= self.every)
        {
            // A failure is kept, and told to the load's next caller.
            let _ = self.commit(thread);
        }
    }

    /// Commits what is open; answers why not when the load has failed.
    pub(super) fn commit(&mut self, thread: &Thread<'_>) -> Result<(), StoreError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let Some(since) = self.since.take() else {
            return Ok(());
        };
        let result = run(thread.conn, "COMMIT").map_err(|e| {
            thread.roll_back();
            let e = StoreError::Backend(format!(
                "a commit of the bulk load failed ({e}), and the writes applied since the \
                 last one were lost with it; run the load again"
            ));
            tracing::error!(error = %e, "bulk commit failed");
            self.failed = Some(e.clone());
            e
        });
        tracing::trace!(held = ?since.elapsed(), "bulk commit");
        result
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use rusqlite::Connection;
    use sma_spec::Message;

    use crate::SqliteStore;
    use crate::engine::packing::tests::page;
    use sma_store::{EventStore, StoreError};

    /// Events committed, as another connection (another process) sees them.
    fn committed(path: &Path) -> i64 {
        let conn = Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap()
    }

    fn pages(from: i64, to: i64) -> Vec<Message> {
        (from..to).map(page).collect()
    }

    /// A write that fails inside the writer's transaction.
    async fn failing_write(store: &SqliteStore) -> Result<(), StoreError> {
        store
            .write(|tx| tx.execute_batch("INSERT INTO no_such_table VALUES (1)"))
            .await
    }

    #[tokio::test]
    async fn bulk_writes_are_answered_applied_read_in_the_transaction_and_committed_by_the_end() {
        let (_dir, path, store) = crate::scratch_store();
        store
            .writer
            .bulk(Some(Duration::from_secs(600)))
            .await
            .unwrap();

        let new = store.put_events(&pages(0, 300)).await.unwrap();
        assert!(new.iter().all(|&n| n));
        assert_eq!(committed(&path), 0, "held open, not committed");
        // Applied: the same messages again are duplicates.
        let again = store.put_events(&pages(250, 350)).await.unwrap();
        assert_eq!(again.iter().filter(|&&n| n).count(), 50);

        // A read of this process sees every write answered before it, and
        // commits nothing.
        let device = page(3).anonymous_id.unwrap();
        let read = store.device_events(&device).await.unwrap();
        assert_eq!(read.len(), (0..350).filter(|n| n % 97 == 3).count());
        assert_eq!(committed(&path), 0);

        store.put_events(&pages(350, 400)).await.unwrap();
        assert_eq!(committed(&path), 0);
        store.writer.bulk(None).await.unwrap();
        assert_eq!(committed(&path), 400, "the end commits");
        // Out of bulk mode a write is committed when answered.
        store.put_events(&pages(400, 410)).await.unwrap();
        assert_eq!(committed(&path), 410);
    }

    #[tokio::test]
    async fn bulk_mode_commits_when_a_transaction_has_been_open_long_enough() {
        let (_dir, path, store) = crate::scratch_store();
        store
            .writer
            .bulk(Some(Duration::from_millis(50)))
            .await
            .unwrap();
        store.put_events(&pages(0, 100)).await.unwrap();
        // Nothing else is sent: the writer commits on its own once due.
        let waited = std::time::Instant::now();
        while committed(&path) < 100 {
            assert!(
                waited.elapsed() < Duration::from_secs(30),
                "never committed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        store.writer.bulk(None).await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_bulk_write_fails_the_rest_of_the_load_and_says_so() {
        let (_dir, path, store) = crate::scratch_store();
        store.put_events(&pages(0, 10)).await.unwrap();
        store
            .writer
            .bulk(Some(Duration::from_secs(600)))
            .await
            .unwrap();
        // Enough to train a dictionary inside the transaction that is lost.
        store.put_events(&pages(10, 2_500)).await.unwrap();

        let failed = failing_write(&store).await.unwrap_err();
        assert!(failed.to_string().contains("no_such_table"), "{failed}");
        let refused = store.put_events(&pages(2_500, 2_600)).await.unwrap_err();
        assert!(
            refused.to_string().contains("run the load again"),
            "{refused}"
        );
        let ended = store.writer.bulk(None).await.unwrap_err();
        assert!(ended.to_string().contains("run the load again"), "{ended}");
        assert_eq!(committed(&path), 10, "the answered writes were rolled back");

        // The writer works again, and packs with no dictionary that is not
        // stored: a store opened afresh reads everything back.
        store.put_events(&pages(10, 100)).await.unwrap();
        drop(store);
        let reopened = SqliteStore::open(&path).unwrap();
        let devices: Vec<String> = (0..97).map(|n| page(n).anonymous_id.unwrap()).collect();
        let mut read = 0;
        for device in &devices {
            read += reopened.device_events(device).await.unwrap().len();
        }
        assert_eq!(read, 100);
        assert_eq!(committed(&path), 100);
    }
}
