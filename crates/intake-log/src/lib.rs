//! The intake log: a body is answered once it is appended to a log file
//! beside the database, and a background task puts it through the store
//! after. Commits stay off the request path: under steady load a database
//! pauses (SQLite's WAL catch-up fsyncs for tens of milliseconds on a busy
//! disk), and every request queued behind such a pause used to wait it out.
//! The log knows nothing of the store behind it: it hands bodies to a
//! [`Target`], in the order logged, several at a time.
//!
//! What a 2xx promises is unchanged: the body survives a crash of the process
//! (written before the answer; no fsync, like SQLite's commits at
//! `synchronous=NORMAL`), and a server that starts applies what the last run
//! left before it answers anything. Whether each message is new is still
//! answered exactly: a messageId is new unless it is stored, or logged and not
//! yet applied. Reads wait until every body answered before they began is
//! applied, so a client reads what it wrote.

mod record;
mod segments;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sma_spec::{ContentDigest, Intake, Message};
use sma_store::StoreError;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore, mpsc, watch};

use segments::Segments;

/// Messages logged and not yet applied, at most: bounds memory while the store
/// cannot keep up (or another process holds the database).
const BACKLOG: usize = if cfg!(test) { 8 } else { 50_000 };
/// The same in KiB of message text: 50,000 messages of 32 KB would be 1.6 GB.
const BACKLOG_KIB: usize = if cfg!(test) { 16 } else { 256 * 1024 };
/// How long a body waits for room in the backlog, and a read for the bodies
/// before it to be applied, before either is answered "unavailable".
const WAIT: Duration = Duration::from_secs(5);
/// Bodies applied together at most: one pass of the pipeline over many small
/// bodies costs about what it costs over one.
const GROUP: usize = 64;
/// The pause before applying again what the store could not take.
const PAUSE: Duration = Duration::from_secs(1);

/// The store behind the log.
pub trait Target: Send + Sync + 'static {
    /// Per message, the message stored under its messageId, if any.
    fn stored_under(
        &self,
        messages: &[Message],
    ) -> impl Future<Output = Result<Vec<Option<Message>>, StoreError>> + Send;

    /// Per messageId, whether a message under it was erased (its user was
    /// deleted): a retry of it is not taken in again.
    fn erased(
        &self,
        message_ids: &[String],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;

    /// Stores the messages of one or more logged bodies (in log order) and
    /// runs what follows; idempotent, as a body may be applied twice after a
    /// crash.
    fn apply(&self, messages: Vec<Message>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The log of one database, and the task that applies it. Dropping it stops
/// the task; what is left unapplied stays in the log for the next start.
pub struct IntakeLog<T> {
    shared: Arc<Shared<T>>,
    applier: tokio::task::JoinHandle<()>,
}

struct Shared<T> {
    target: T,
    state: Mutex<State>,
    /// The number of the last record logged.
    logged: AtomicU64,
    /// Every record up to this number is applied.
    applied: watch::Sender<u64>,
    room: Arc<Semaphore>,
    room_kib: Arc<Semaphore>,
    queue: mpsc::UnboundedSender<Queued>,
}

struct State {
    segments: Segments,
    /// Records logged and not yet applied, with the messageIds new in each.
    unapplied: BTreeMap<u64, Vec<String>>,
    /// The messageIds of those records, with what their messages say.
    pending: HashMap<String, ContentDigest>,
}

/// A logged body on its way to the target, holding its room in the backlog.
struct Queued {
    seq: u64,
    messages: Vec<Message>,
    _room: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

impl<T: Target> IntakeLog<T> {
    /// Opens the log of the database at `db`, applies (waiting) what an
    /// earlier run left in it, and starts applying what comes.
    pub async fn start(db: &Path, target: T) -> Result<IntakeLog<T>, StoreError> {
        let (segments, leftover) = Segments::open(db)?;
        replay(&target, &segments, &leftover.records).await?;
        Segments::remove_leftover(&leftover.files);
        let (queue, queued) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            target,
            state: Mutex::new(State {
                segments,
                unapplied: BTreeMap::new(),
                pending: HashMap::new(),
            }),
            logged: AtomicU64::new(0),
            applied: watch::Sender::new(0),
            room: Arc::new(Semaphore::new(BACKLOG)),
            room_kib: Arc::new(Semaphore::new(BACKLOG_KIB)),
            queue,
        });
        let applier = tokio::spawn(apply_all(Arc::clone(&shared), queued));
        Ok(IntakeLog { shared, applier })
    }

    /// Logs a body's messages and queues them; answers, per message, what it
    /// came to against the one taken in earlier under its id (stored, waiting
    /// in the log, or earlier in the body), once it is logged. A message that
    /// reuses a taken id is answered [`Intake::ReusedId`], and a retry of an
    /// erased one [`Intake::Erased`]; neither is logged.
    pub async fn take_in(&self, messages: Vec<Message>) -> Result<Vec<Intake>, StoreError> {
        let shared = &self.shared;
        let wanted = messages.len().clamp(1, BACKLOG) as u32;
        // A body larger than the whole backlog still goes in, alone.
        let kib = messages
            .iter()
            .map(|m| m.raw.len())
            .sum::<usize>()
            .div_ceil(1024)
            .clamp(1, BACKLOG_KIB) as u32;
        // Always in this order, so two bodies never hold what the other waits for.
        let both = async {
            let count = Arc::clone(&shared.room).acquire_many_owned(wanted).await?;
            let bytes = Arc::clone(&shared.room_kib).acquire_many_owned(kib).await?;
            Ok::<_, tokio::sync::AcquireError>((count, bytes))
        };
        let room = tokio::time::timeout(WAIT, both)
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!(
                    "the intake log is full: nothing could be applied for {} s",
                    WAIT.as_secs()
                ))
            })?
            .map_err(|_| StoreError::Backend("the intake log is closed".into()))?;
        // One body at a time from the lookup to the queue: the answer is exact,
        // and records are applied in log order (the copy of a messageId
        // answered "new" is the one stored).
        let mut state = shared.state.lock().await;
        let stored = shared.target.stored_under(&messages).await?;
        let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
        let erased = shared.target.erased(&ids).await?;
        let mut seen: HashMap<String, ContentDigest> = HashMap::with_capacity(messages.len());
        let intake: Vec<Intake> = messages
            .iter()
            .zip(stored.into_iter().zip(erased))
            .map(|(m, (stored, erased))| {
                if erased {
                    return Intake::Erased;
                }
                let id = m.message_id.as_str();
                let earlier = seen
                    .get(id)
                    .or_else(|| state.pending.get(id))
                    .copied()
                    .or_else(|| stored.map(|s| s.content_digest()));
                let intake = Intake::against(m, earlier);
                if intake == Intake::New {
                    seen.insert(id.to_owned(), m.content_digest());
                }
                intake
            })
            .collect();
        let messages: Vec<Message> = messages
            .into_iter()
            .zip(&intake)
            .filter(|&(_, &i)| !matches!(i, Intake::ReusedId | Intake::Erased))
            .map(|(m, _)| m)
            .collect();
        let seq = shared.logged.load(Ordering::Acquire) + 1;
        state.segments.append(seq, &record::encode(&messages))?;
        shared.logged.store(seq, Ordering::Release);
        let new: Vec<String> = seen.keys().cloned().collect();
        state.pending.extend(seen);
        state.unapplied.insert(seq, new);
        shared
            .queue
            .send(Queued {
                seq,
                messages,
                _room: room,
            })
            .map_err(|_| StoreError::Backend("the intake log's applier has stopped".into()))?;
        Ok(intake)
    }

    /// Waits up to `within` until every body logged before the call is applied.
    pub async fn caught_up(&self, within: Duration) -> Result<(), StoreError> {
        let target = self.shared.logged.load(Ordering::Acquire);
        let mut applied = self.shared.applied.subscribe();
        match tokio::time::timeout(within, applied.wait_for(|&a| a >= target)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(StoreError::Unavailable(format!(
                "bodies taken in are not applied yet: the store was busy for {} s",
                within.as_secs()
            ))),
        }
    }

    /// What a read waits for first: the bodies answered before it.
    pub async fn read_after_writes(&self) -> Result<(), StoreError> {
        self.caught_up(WAIT).await
    }
}

impl<T> Drop for IntakeLog<T> {
    fn drop(&mut self) {
        self.applier.abort();
    }
}

impl<T> std::fmt::Debug for IntakeLog<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeLog")
            .field("logged", &self.shared.logged)
            .finish_non_exhaustive()
    }
}

/// The applier: takes what is queued, several bodies at a time, until the log
/// is dropped.
async fn apply_all<T: Target>(shared: Arc<Shared<T>>, mut queued: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = queued.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP
            && let Ok(next) = queued.try_recv()
        {
            group.push(next);
        }
        let messages: Vec<Message> = group.iter().flat_map(|q| q.messages.clone()).collect();
        if apply_patiently(&shared.target, messages).await.is_ok() {
            for queued in &group {
                shared.applied(queued.seq).await;
            }
            continue;
        }
        // Refused for a reason other than being unavailable: apply the bodies
        // one by one, so that one bad body does not hold up the others.
        for queued in group {
            if let Err(e) = apply_patiently(&shared.target, queued.messages.clone()).await {
                shared.set_aside(&queued.messages, &e).await;
            }
            shared.applied(queued.seq).await;
        }
    }
}

/// Applies messages, again and again while the store is unavailable; answers
/// the error that is not a matter of waiting.
async fn apply_patiently<T: Target>(target: &T, messages: Vec<Message>) -> Result<(), StoreError> {
    loop {
        match target.apply(messages.clone()).await {
            Err(e) if e.is_retryable() => {
                tracing::warn!(error = %e, "a logged body cannot be applied yet; retrying");
                tokio::time::sleep(PAUSE).await;
            }
            done => return done,
        }
    }
}

impl<T> Shared<T> {
    async fn applied(&self, seq: u64) {
        let mut state = self.state.lock().await;
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
    async fn set_aside(&self, messages: &[Message], error: &StoreError) {
        let state = self.state.lock().await;
        if let Err(e) = set_aside(&state.segments, &record::encode(messages), error) {
            tracing::error!(error = %e, "a refused body could not be set aside");
        }
    }
}

fn set_aside(segments: &Segments, record: &[u8], error: &StoreError) -> Result<(), StoreError> {
    let kept = segments.set_aside(record)?;
    tracing::error!(%error, kept_in = %kept.display(), "a logged body could not be applied");
    Ok(())
}

/// Applies the records an earlier run left, one by one. One the store refuses
/// (not for being unavailable) is set aside, as while serving; while it is
/// unavailable the start fails, and the records stay.
async fn replay<T: Target>(
    target: &T,
    segments: &Segments,
    records: &[Vec<u8>],
) -> Result<(), StoreError> {
    for payload in records {
        let applied = match record::decode(payload) {
            Ok(messages) => target.apply(messages).await,
            Err(e) => Err(e),
        };
        match applied {
            Ok(()) => {}
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => set_aside(segments, &record::frame(payload), &e)?,
        }
    }
    if !records.is_empty() {
        tracing::info!(
            bodies = records.len(),
            "applied the intake log the last run left"
        );
    }
    Ok(())
}
