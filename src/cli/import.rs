//! `sma import PATH...`: historic Segment archives into the store, fast and
//! resumable.
//!
//! One thread reads, decompresses, parses and validates ([`reader`]); the calling
//! thread starts storing each batch of messages through [`App::store_linked`]
//! (one store write for the events of a batch, one for its identity links)
//! without waiting for the last one; a third waits for each batch, detects the
//! sources of its new page views, and derives the touches of every device once,
//! from what was stored ([`touches`]). The store is told it takes a bulk load
//! ([`sma_store::EventStore::begin_bulk_load`]): the embedded one puts off
//! indexes and commits every `--commit-every` seconds rather than every write.
//! Storage is idempotent by messageId, so importing the same files again adds
//! nothing and an import killed at any point is completed by running it again:
//! the end state is the same as an uninterrupted run's, whatever was committed
//! before the kill.

pub mod progress;
mod reader;
mod summary;
mod touches;
mod views;

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use sma_app::{App, IngestError, Stored};
use sma_archive::DEFAULT_MAX_RECORD_BYTES;
use sma_spec::Item;
use sma_store::Store;

use super::context;

use reader::ReadPlan;
use summary::Summary;
use touches::Refresher;

/// Batches waiting between the reader and the store: enough to keep both busy,
/// few enough to keep memory bounded.
const QUEUE: usize = 2;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Archive files, directories of them (`segment-logs/<source>/<day>/*.gz`;
    /// walked for .gz, .jsonl, .ndjson and .json files), or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Messages per store write: each batch in flight holds its messages
    /// (about 28 MB for 20,000).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    /// Seconds of work the embedded store holds in one transaction at most:
    /// fewer commits write each index page fewer times; a kill loses at most
    /// this much, which running the import again restores. 0 commits every
    /// batch.
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    commit_every: u32,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Devices whose page views are held for the touch derivation before the
    /// half seen longest ago is refreshed early: it bounds memory (a few KiB
    /// per device); a device refreshed early and seen again costs a read of its
    /// events back from the store.
    #[arg(long, default_value_t = touches::PENDING_CAP)]
    max_pending_devices: usize,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = context::settings()?;
    let runtime = context::runtime()?;
    let summary = context::on_configured_store(settings, &runtime, &args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", summary.render());
    }
    if summary.files == 0 || (summary.lines == 0 && summary.problem_count > 0) {
        let first = summary
            .problems
            .first()
            .map(|p| format!("{}: {}", p.at, p.error));
        bail!(
            "nothing could be read{}",
            first.map(|f| format!(" ({f})")).unwrap_or_default()
        );
    }
    Ok(())
}

impl context::OnStore for &Args {
    type Output = Summary;
    fn run<S: Store>(
        self,
        runtime: &tokio::runtime::Runtime,
        app: &App<S>,
    ) -> anyhow::Result<Summary> {
        import(runtime, app, self)
    }
}

/// Imports `args.paths` into `app`'s store (any adapter).
pub fn import<S: Store>(
    runtime: &tokio::runtime::Runtime,
    app: &App<S>,
    args: &Args,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let found = sma_archive::collect(&args.paths);
    for problem in &found.problems {
        tracing::error!("{problem}");
    }
    if found.sources.is_empty() {
        match found.problems.first() {
            Some(problem) => bail!("nothing to import: {problem}"),
            None => bail!(
                "nothing to import: no .gz, .jsonl, .ndjson or .json files under the given paths"
            ),
        }
    }
    tracing::info!(files = found.sources.len(), batch = args.batch, "importing");
    let plan = ReadPlan {
        sources: found.sources,
        batch: args.batch as usize,
        max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        received_at: Utc::now(),
    };
    runtime
        .block_on(
            app.store
                .begin_bulk_load(Duration::from_secs(args.commit_every.into())),
        )
        .context("cannot begin the bulk load")?;
    let (tx, rx) = mpsc::sync_channel::<Vec<Item>>(QUEUE);
    let reading = std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || reader::read_all(plan, tx))
        .context("cannot start the reader thread")?;

    // Batches are stored in the order read, each awaited on a thread of its
    // own, which derives touches meanwhile; None says everything was started.
    // A channel closed without it is an import that failed, whose touches are
    // left to the next run.
    let (to_touches, storing) = mpsc::sync_channel::<Option<Storing<'_>>>(QUEUE);
    let cap = args.max_pending_devices;
    let touches = std::thread::scope(|scope| {
        let touching = std::thread::Builder::new()
            .name("import-touches".into())
            .spawn_scoped(scope, move || {
                let mut touches = Refresher::new(runtime, app, cap);
                let (mut accepted, mut duplicates) = (0u64, 0u64);
                while let Ok(next) = storing.recv() {
                    let Some(storing) = next else {
                        // Every event is stored: the store builds what it put
                        // off for them while the last touches are derived.
                        let store = app.store.clone();
                        let built = runtime.spawn(async move { store.bulk_events_stored().await });
                        touches.finish()?;
                        runtime
                            .block_on(built)
                            .context("the index build panicked")?
                            .context("cannot build the indexes the import put off")?;
                        break;
                    };
                    let stored = runtime.block_on(storing).context("cannot store a batch")?;
                    accepted += stored.summary.accepted as u64;
                    duplicates += stored.summary.duplicates as u64;
                    touches.add(&stored)?;
                }
                anyhow::Ok((touches, accepted, duplicates))
            })
            .context("cannot start the touches thread")?;
        start_storing(runtime, app, rx, to_touches);
        touching
            .join()
            .map_err(|_| anyhow::anyhow!("the touches thread panicked"))?
    });
    // Whatever became of the import: what the bulk load put off is done now
    // rather than at the next open.
    let ended = runtime
        .block_on(app.store.end_bulk_load())
        .context("cannot end the bulk load");
    let mut read = reading
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
    let (touches, accepted, duplicates) = touches?;
    ended?;
    for problem in found.problems {
        read.problem(problem.path, problem.problem);
    }
    tracing::info!(
        devices = touches.refreshed,
        from_store = touches.from_store,
        "touches derived"
    );
    let seconds = started.elapsed().as_secs_f64();
    let mut summary = Summary::new(read, accepted, duplicates, seconds);
    summary.devices_refreshed = touches.refreshed;
    summary.new_touches = touches.new_touches;
    Ok(summary)
}

/// A batch's store calls, started by [`start_storing`].
type Storing<'a> = Pin<Box<dyn Future<Output = Result<Stored, IngestError>> + Send + 'a>>;

/// Starts storing each batch until the reader is done, and hands it to the
/// touches thread without waiting for its commit: the next batch is read and
/// packed meanwhile, and the writer always has the next one queued. Polling
/// once is what starts a batch: the store queues its events on the first poll
/// (the embedded store's writer takes writes in the order queued), so batches
/// are written in the order read, and where a messageId comes twice the copy
/// stored is the one an import batch by batch stores. When the touches side
/// has stopped (its own error tells why), the receiver is dropped, which stops
/// the reader.
fn start_storing<'a, S: Store>(
    runtime: &tokio::runtime::Runtime,
    app: &'a App<S>,
    batches: mpsc::Receiver<Vec<Item>>,
    touches: mpsc::SyncSender<Option<Storing<'a>>>,
) {
    let _runtime = runtime.enter();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for batch in batches {
        let mut storing: Storing<'a> = Box::pin(app.store_linked(batch));
        if let Poll::Ready(done) = storing.as_mut().poll(&mut cx) {
            storing = Box::pin(std::future::ready(done));
        }
        if touches.send(Some(storing)).is_err() {
            return;
        }
    }
    let _ = touches.send(None);
}
