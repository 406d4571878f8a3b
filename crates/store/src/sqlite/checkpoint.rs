//! WAL checkpoints on their own thread and connection. Copying the WAL back into
//! the database used to run inside whichever commit crossed the threshold,
//! stalling every write queued behind it for a hundred milliseconds and more. A
//! passive checkpoint runs beside the writer instead.
//!
//! Under steady writes such a checkpoint never quite catches up (frames arrive
//! while it copies), and the WAL only starts over from its beginning once every
//! frame has been copied. So when it has grown long, the checkpoint thread asks
//! the writer to copy the last few frames itself, between two transactions: a
//! pause of milliseconds, after which the writer's next transaction restarts the
//! WAL. (A `RESTART` checkpoint from this thread would do the same, but while it
//! waits for the write lock it holds new writers off and both sides sleep in
//! SQLite's busy handler: stalls of 50–90 ms.)

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use super::{connect, sql};
use crate::StoreError;

/// How often the WAL is copied back.
const INTERVAL: Duration = Duration::from_millis(200);
/// WAL pages (4 KiB) beyond which the writer is asked to catch up.
const CATCH_UP_PAGES: i64 = 10_000;

/// Ends its thread when dropped (with the last store clone).
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the thread; it sets `catch_up` when the writer should finish a
    /// checkpoint ([`writer_catch_up`]).
    pub(super) fn start(
        path: &Path,
        catch_up: Arc<AtomicBool>,
    ) -> Result<Checkpointer, StoreError> {
        let conn = connect(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if let Err(e) = checkpoint(&conn, &catch_up) {
                        tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                    }
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { _stop: stop })
    }
}

/// A passive checkpoint; when the WAL has grown long, two more in a row (each
/// copies only what arrived during the one before, so the last leaves the frames
/// of a few milliseconds), and then the writer is asked to copy the rest.
fn checkpoint(conn: &Connection, catch_up: &AtomicBool) -> Result<(), StoreError> {
    if passive(conn, "checkpoint thread")? > CATCH_UP_PAGES {
        passive(conn, "checkpoint thread")?;
        passive(conn, "checkpoint thread")?;
        catch_up.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// The writer's part, between two of its transactions: copies the frames the
/// last checkpoint left, so that its next transaction starts the WAL over.
pub(super) fn writer_catch_up(conn: &Connection, catch_up: &AtomicBool) {
    if catch_up.swap(false, Ordering::Relaxed)
        && let Err(e) = passive(conn, "writer")
    {
        tracing::warn!(error = %e, "WAL checkpoint in the writer failed");
    }
}

/// One passive checkpoint (traced with who ran it and how long it took);
/// answers the WAL's length in pages.
fn passive(conn: &Connection, by: &'static str) -> Result<i64, StoreError> {
    let started = std::time::Instant::now();
    let (busy, wal_pages, copied): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(sql)?;
    tracing::trace!(by, busy, wal_pages, copied, elapsed = ?started.elapsed(), "checkpoint");
    Ok(wal_pages)
}
