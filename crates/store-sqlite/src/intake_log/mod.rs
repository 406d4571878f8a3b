//! The intake log: under `sma serve` a body is answered once it is appended to
//! a log file beside the database, and the writer thread applies it to SQLite
//! after. Commits stay off the request path: under steady load the writer
//! pauses for the WAL's catch-up (fsyncs of tens of milliseconds on a busy
//! disk), and every request queued behind such a pause used to wait it out.
//!
//! What a 2xx promises is unchanged: the body survives a crash of the process
//! (written before the answer; no fsync, like the WAL's commits at
//! `synchronous=NORMAL`), and a server that starts applies what the last run
//! left before it answers anything. Whether each message is new is still
//! answered exactly: a messageId is new unless it is stored, or logged and not
//! yet applied. Reads wait until every body answered before they began is
//! applied, so a client reads what it wrote.

mod record;
mod segments;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use sma_spec::Message;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

use crate::engine::writer::Writer;
use crate::intake::{Derive, store};
use crate::{connect, sql};
use segments::Segments;
use sma_store::{Applied, Intake, Intaken, StoreError};

/// Messages logged and not yet applied, at most: bounds memory while the
/// writer cannot keep up (or another process holds the database).
const BACKLOG: usize = if cfg!(test) { 8 } else { 50_000 };
/// How long a body waits for room in the backlog, and a read for the bodies
/// before it to be applied, before either is answered "unavailable" (as long
/// as SQLite waits for a lock).
const WAIT: Duration = Duration::from_secs(5);

pub(super) struct IntakeLog {
    state: Mutex<State>,
    /// The number of the last record logged.
    logged: AtomicU64,
    /// Every record up to this number is applied.
    applied: watch::Sender<u64>,
    room: Arc<Semaphore>,
}

struct State {
    /// Looks up stored messageIds (WAL: never waits for the writer).
    reader: Connection,
    segments: Segments,
    /// Records logged and not yet applied, with the messageIds new in each.
    unapplied: BTreeMap<u64, Vec<String>>,
    /// The messageIds of those records.
    pending: HashSet<String>,
}

/// How a logged body's applying ends: its room in the backlog is given back,
/// and the caller told.
struct Reply {
    _room: OwnedSemaphorePermit,
    to: oneshot::Sender<Result<Applied, StoreError>>,
}

impl IntakeLog {
    /// Opens the log of the database at `path`, and applies (waiting) what an
    /// earlier run left in it, with `derive` for their touches.
    pub(super) fn start(
        path: &std::path::Path,
        writer: &Writer,
        derive: &Derive,
    ) -> Result<IntakeLog, StoreError> {
        let (segments, leftover) = Segments::open(path)?;
        replay(writer, &segments, &leftover.records, derive)?;
        Segments::remove_leftover(&leftover.files);
        Ok(IntakeLog {
            state: Mutex::new(State {
                reader: connect(path)?,
                segments,
                unapplied: BTreeMap::new(),
                pending: HashSet::new(),
            }),
            logged: AtomicU64::new(0),
            applied: watch::Sender::new(0),
            room: Arc::new(Semaphore::new(BACKLOG)),
        })
    }

    /// Logs `intake` and queues it for the writer; answers once it is logged.
    pub(super) async fn take_in(
        self: &Arc<Self>,
        writer: &Arc<Writer>,
        intake: Intake,
        derive: Derive,
    ) -> Result<Intaken, StoreError> {
        let wanted = intake.messages.len().clamp(1, BACKLOG) as u32;
        let room = tokio::time::timeout(WAIT, Arc::clone(&self.room).acquire_many_owned(wanted))
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!(
                    "the intake log is full: nothing could be applied for {} s",
                    WAIT.as_secs()
                ))
            })?
            .map_err(|_| StoreError::Backend("the intake log is closed".into()))?;
        let (to, answer) = oneshot::channel();
        // On the request's own thread: this blocks for tens of microseconds (a
        // few indexed reads, one write(2)), and under load a hop to the
        // blocking pool cost more than that in wake-ups, with every hop's
        // thread queueing for the state lock.
        let inserted = self.append(writer, intake, derive, Reply { _room: room, to })?;
        Ok(Intaken {
            inserted,
            applied: Box::pin(async move {
                answer
                    .await
                    .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?
            }),
        })
    }

    /// Waits until every body logged before the call is applied.
    pub(super) async fn caught_up(&self, within: Duration) -> Result<(), StoreError> {
        let target = self.logged.load(Ordering::Acquire);
        let mut applied = self.applied.subscribe();
        match tokio::time::timeout(within, applied.wait_for(|&a| a >= target)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(StoreError::Unavailable(format!(
                "bodies taken in are not applied yet: the database was busy for {} s",
                within.as_secs()
            ))),
        }
    }

    /// What a read waits for first: the bodies answered before it.
    pub(super) async fn read_after_writes(&self) -> Result<(), StoreError> {
        self.caught_up(WAIT).await
    }

    fn append(
        self: &Arc<Self>,
        writer: &Arc<Writer>,
        intake: Intake,
        derive: Derive,
        reply: Reply,
    ) -> Result<Vec<bool>, StoreError> {
        let record = record::encode(&intake);
        let mut state = self.state.lock().map_err(|_| poisoned())?;
        let inserted = state.new_ids(&intake.messages)?;
        let seq = self.logged.load(Ordering::Acquire) + 1;
        state.segments.append(seq, &record)?;
        self.logged.store(seq, Ordering::Release);
        let new: Vec<String> = intake
            .messages
            .iter()
            .zip(&inserted)
            .filter(|&(_, &new)| new)
            .map(|(m, _)| m.message_id.clone())
            .collect();
        state.pending.extend(new.iter().cloned());
        state.unapplied.insert(seq, new);
        // Queued under the lock, so the writer applies records in log order
        // (the copy of a messageId answered "new" is the one stored). Should
        // the writer have stopped, the client hears of it; the record stays in
        // the log for the next start.
        self.apply(writer, seq, Arc::new(intake), derive, reply)?;
        drop(state);
        Ok(inserted)
    }

    /// Queues record `seq` for the writer; again while the database is
    /// unavailable (the writer pauses after a failed write).
    fn apply(
        self: &Arc<Self>,
        writer: &Arc<Writer>,
        seq: u64,
        intake: Arc<Intake>,
        derive: Derive,
        reply: Reply,
    ) -> Result<(), StoreError> {
        let (log, again) = (Arc::clone(self), Arc::clone(writer));
        let (job_intake, job_derive) = (Arc::clone(&intake), Arc::clone(&derive));
        writer.submit(
            move |tx| store(tx, &job_intake, &*job_derive),
            move |outcome| {
                let outcome = match outcome {
                    Err(e) if e.is_retryable() => Err(e),
                    Err(e) => log.set_aside(&intake, &e).map(|()| Err(e)),
                    Ok((_, applied)) => Ok(Ok(applied)),
                };
                match outcome {
                    Ok(answer) => {
                        log.applied(seq);
                        let _ = reply.to.send(answer);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "a logged body cannot be applied yet; retrying");
                        // From the writer thread, whose queue is open.
                        let _ = log.apply(&again, seq, intake, derive, reply);
                    }
                }
            },
        )
    }

    fn applied(&self, seq: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        for id in state.unapplied.remove(&seq).unwrap_or_default() {
            state.pending.remove(&id);
        }
        let through = match state.unapplied.first_key_value() {
            Some((&first, _)) => first - 1,
            None => self.logged.load(Ordering::Acquire),
        };
        state.segments.applied_through(through);
        self.applied.send_replace(through);
    }

    /// Keeps a body the store refused (not for being unavailable) where a
    /// person can look at it, instead of retrying it for ever.
    fn set_aside(&self, intake: &Intake, error: &StoreError) -> Result<(), StoreError> {
        let state = self.state.lock().map_err(|_| poisoned())?;
        set_aside(&state.segments, &record::encode(intake), error)
    }
}

fn set_aside(segments: &Segments, record: &[u8], error: &StoreError) -> Result<(), StoreError> {
    let kept = segments.set_aside(record)?;
    tracing::error!(%error, kept_in = %kept.display(), "a logged body could not be applied");
    Ok(())
}

impl State {
    /// Per message: whether its messageId is neither stored nor pending (nor
    /// earlier in the same body).
    fn new_ids(&self, messages: &[Message]) -> Result<Vec<bool>, StoreError> {
        let mut stored = self
            .reader
            .prepare_cached("SELECT 1 FROM events WHERE message_id = ?1")
            .map_err(sql)?;
        let mut seen = HashSet::with_capacity(messages.len());
        messages
            .iter()
            .map(|m| {
                let known = !seen.insert(m.message_id.as_str())
                    || self.pending.contains(&m.message_id)
                    || stored.exists([&m.message_id]).map_err(sql)?;
                Ok(!known)
            })
            .collect()
    }
}

/// Applies the records an earlier run left, waiting for each commit. One the
/// database refuses (not for being unavailable) is set aside, as while serving;
/// while it is unavailable the start fails, and the records stay.
fn replay(
    writer: &Writer,
    segments: &Segments,
    records: &[Vec<u8>],
    derive: &Derive,
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let (done, results) = std::sync::mpsc::channel();
    let mut submitted = Vec::new();
    for payload in records {
        let intake = match record::decode(payload) {
            Ok(intake) => intake,
            Err(e) => {
                set_aside(segments, &record::frame(payload), &e)?;
                continue;
            }
        };
        let (derive, done) = (Arc::clone(derive), done.clone());
        let index = submitted.len();
        writer.submit(
            move |tx| store(tx, &intake, &*derive).map(drop),
            move |result| drop(done.send((index, result))),
        )?;
        submitted.push(payload);
    }
    drop(done);
    let mut answered = 0;
    for (index, result) in results {
        answered += 1;
        match result {
            Ok(()) => {}
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => set_aside(segments, &record::frame(submitted[index]), &e)?,
        }
    }
    // Every write answers, unless the writer thread died on the way.
    if answered != submitted.len() {
        return Err(StoreError::Backend(
            "the writer thread stopped while the intake log was applied".into(),
        ));
    }
    tracing::info!(
        bodies = records.len(),
        "applied the intake log the last run left"
    );
    Ok(())
}

fn poisoned() -> StoreError {
    StoreError::Backend("intake log mutex poisoned".into())
}
