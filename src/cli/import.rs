//! `sma import PATH...`: historic Segment archives into the store, fast and
//! resumable.
//!
//! One thread reads, decompresses, parses and validates ([`reader`]); the calling
//! thread stores each batch of messages through [`App::store_linked`] (one store
//! transaction for the events of a batch, one for its identity links); a third
//! detects the sources of each stored batch's new page views meanwhile, and
//! derives the touches of every device once, from what was stored
//! ([`touches`]). Storage is idempotent by messageId, so importing the same
//! files again adds nothing and an import killed at any point is completed by
//! running it again: the end state is the same as an uninterrupted run's,
//! whatever was committed before the kill.

pub mod progress;
mod reader;
mod summary;
mod touches;
mod views;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use sma_app::{App, Stored};
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
    /// Messages per store write (one transaction each): larger batches write
    /// each index page fewer times.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
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
    let (tx, rx) = mpsc::sync_channel::<Vec<Item>>(QUEUE);
    let reading = std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || reader::read_all(plan, tx))
        .context("cannot start the reader thread")?;

    // Touches are derived on a thread of their own while the next batch is
    // stored. None says everything is stored; a channel closed without it is an
    // import that failed, whose touches are left to the next run.
    let (to_touches, stored) = mpsc::sync_channel::<Option<Stored>>(QUEUE);
    let cap = args.max_pending_devices;
    let (written, touches) = std::thread::scope(|scope| {
        let touching = std::thread::Builder::new()
            .name("import-touches".into())
            .spawn_scoped(scope, move || {
                let mut touches = Refresher::new(runtime, app, cap);
                while let Ok(next) = stored.recv() {
                    match next {
                        Some(stored) => touches.add(&stored)?,
                        None => {
                            touches.finish()?;
                            break;
                        }
                    }
                }
                anyhow::Ok(touches)
            })
            .context("cannot start the touches thread");
        let written = store_batches(runtime, app, rx, to_touches);
        let touches = touching.and_then(|t| {
            t.join()
                .map_err(|_| anyhow::anyhow!("the touches thread panicked"))?
        });
        (written, touches)
    });
    let mut read = reading
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
    let (accepted, duplicates) = written?;
    let touches = touches?;
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

/// Stores batches until the reader is done, handing each to `touches`:
/// (stored, duplicates). On an error, or when the touches side has stopped (its
/// own error tells why), the receiver is dropped, which stops the reader.
fn store_batches<S: Store>(
    runtime: &tokio::runtime::Runtime,
    app: &App<S>,
    batches: mpsc::Receiver<Vec<Item>>,
    touches: mpsc::SyncSender<Option<Stored>>,
) -> anyhow::Result<(u64, u64)> {
    let (mut accepted, mut duplicates) = (0u64, 0u64);
    for batch in batches {
        let stored = runtime
            .block_on(app.store_linked(batch))
            .context("cannot store a batch")?;
        accepted += stored.summary.accepted as u64;
        duplicates += stored.summary.duplicates as u64;
        if touches.send(Some(stored)).is_err() {
            return Ok((accepted, duplicates));
        }
    }
    let _ = touches.send(None);
    Ok((accepted, duplicates))
}
