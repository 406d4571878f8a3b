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

use crate::{connect, sql};
use sma_store::StoreError;

/// How often the WAL is copied back (more often in tests: what writers add
/// between two rounds bounds the WAL, and a test's writes must outgrow that
/// bound many times over in little time, even on a busy machine).
const INTERVAL: Duration = Duration::from_millis(if cfg!(test) { 50 } else { 200 });
/// WAL bytes beyond which the writer is asked to catch up (fewer in tests, for
/// the same reason).
const CATCH_UP_BYTES: i64 = if cfg!(test) { 4 << 20 } else { 40 << 20 };

/// Ends its thread when dropped (with the last store clone).
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the thread; it sets `catch_up` when the writer should finish a
    /// checkpoint ([`writer_catch_up`]).
    pub(crate) fn start(
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
    let page_size: i64 = conn
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .map_err(sql)?;
    if passive(conn, "checkpoint thread")? * page_size > CATCH_UP_BYTES {
        passive(conn, "checkpoint thread")?;
        passive(conn, "checkpoint thread")?;
        catch_up.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// The writer's part, between two of its transactions: copies the frames the
/// last checkpoint left, so that its next transaction starts the WAL over.
pub(crate) fn writer_catch_up(conn: &Connection, catch_up: &AtomicBool) {
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sma_spec::{Item, ParseOptions, parse_body};

    use sma_store::EventStore;

    use crate::SqliteStore;

    /// Writers that never pause leave the background checkpoint no moment in
    /// which it has copied every frame, so without the writer's catch-up the WAL
    /// would never start over and its file would grow with everything written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_under_writes_that_never_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let wal = dir.path().join("t.db-wal");
        let store = SqliteStore::open(&path).unwrap();
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for batch in 0..400 {
                        store.put_events(&pages(w, batch)).await.unwrap();
                    }
                })
            })
            .collect();
        let (mut largest, mut restarts) = (0, 0);
        let mut last_salt = None;
        while writers.iter().any(|w| !w.is_finished()) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let Some((length, salt)) = wal_salt(&wal) else {
                continue;
            };
            largest = largest.max(length);
            if last_salt.replace(salt).is_some_and(|last| last != salt) {
                restarts += 1;
            }
        }
        for w in writers {
            w.await.unwrap();
        }
        // Every page of the database went through the WAL: a WAL that never
        // starts over ends larger than the database (six times, measured).
        // One that does stays under it: it grows by what the writers add
        // between two checkpoint rounds, 16 KiB a dirty page, past the limit
        // (a fifth of the database, measured, with rounds 50 ms apart; with
        // 200 ms it came near the database and passed it on a busy machine).
        let database = std::fs::metadata(&path).unwrap().len();
        assert!(restarts >= 3, "the WAL started over {restarts} times");
        assert!(
            largest < database,
            "the WAL grew to {largest} bytes beside a database of {database}"
        );
    }

    /// `len` letters that no dictionary predicts (xorshift from `seed`).
    fn noise(seed: u32, len: usize) -> String {
        let mut x = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'a' + (x % 26) as u8)
            })
            .collect()
    }

    /// The WAL file's length and the salt in its header, which each start over
    /// changes.
    fn wal_salt(wal: &std::path::Path) -> Option<(u64, [u8; 8])> {
        use std::io::Read;
        let mut file = std::fs::File::open(wal).ok()?;
        let mut header = [0u8; 32];
        file.read_exact(&mut header).ok()?;
        let length = file.metadata().ok()?.len();
        Some((length, header[16..24].try_into().ok()?))
    }

    /// Batch `batch` of writer `w`: 25 page views of 1 KiB, each its own device
    /// (padded with noise: the store packs raw messages, and padding that
    /// compressed away would leave the WAL next to nothing to hold).
    fn pages(w: u32, batch: u32) -> Vec<sma_spec::Message> {
        let at = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap();
        let body: Vec<_> = (0..25)
            .map(|i| {
                serde_json::json!({
                    "type": "page", "messageId": format!("m-{w}-{batch}-{i}"),
                    "anonymousId": format!("a-{w}-{batch}-{i}"), "timestamp": at.to_rfc3339(),
                    "properties": {"padding": noise(w * 1_000_000 + batch * 100 + i, 1024)}
                })
            })
            .collect();
        let opts = ParseOptions {
            implied_type: None,
            received_at: at,
        };
        parse_body(serde_json::Value::from(body).to_string().as_bytes(), opts)
            .unwrap()
            .into_iter()
            .map(|item| match item {
                Item::Message(m) => m,
                other => panic!("not a message: {other:?}"),
            })
            .collect()
    }
}
