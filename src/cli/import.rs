//! `sma import PATH...`: historic Segment archives into the store, through the
//! one pipeline ([`sma_app::Bulk`]), resumable.
//!
//! One thread reads, decompresses, parses and validates ([`reader`]); the
//! calling thread puts each batch through the pipeline (stored, linked, its
//! devices' touches derived from their session state), and the ledgers of the
//! journeys the import touched are settled once at its end. On the embedded
//! store the import is a bulk load ([`sma_store_sqlite::SqliteStore::begin_bulk_load`]):
//! indexes put off and commits every `--commit-every` seconds. Storage is
//! idempotent by messageId and every step of the pipeline idempotent, so
//! importing the same files again adds nothing and an import killed at any
//! point is completed by running it again.

pub mod progress;
mod reader;
mod summary;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use sma_app::App;
use sma_archive::DEFAULT_MAX_RECORD_BYTES;
use sma_spec::Item;
use sma_store::Store;

use super::context;

use reader::ReadPlan;
use summary::Summary;

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

    fn bulk(&self) -> Option<Duration> {
        Some(Duration::from_secs(self.commit_every.into()))
    }

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
    if found.inputs.is_empty() {
        match found.problems.first() {
            Some(problem) => bail!("nothing to import: {problem}"),
            None => bail!(
                "nothing to import: no .gz, .jsonl, .ndjson or .json files under the given paths"
            ),
        }
    }
    tracing::info!(files = found.inputs.len(), batch = args.batch, "importing");
    let plan = ReadPlan {
        inputs: found.inputs,
        batch: args.batch as usize,
        max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        received_at: Utc::now(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Item>>(QUEUE);
    let reading = std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || reader::read_all(plan, tx))
        .context("cannot start the reader thread")?;
    let loaded = runtime.block_on(async {
        let mut bulk = app.bulk();
        let (mut stored, mut duplicates) = (0u64, 0u64);
        // What the store refused (another message under a used messageId):
        // where, in batches of the read, and why.
        let mut refused = Vec::new();
        let mut batches = 0usize;
        while let Some(batch) = rx.recv().await {
            batches += 1;
            let summary = bulk.add(batch).await.context("cannot store a batch")?;
            stored += summary.accepted as u64;
            duplicates += summary.duplicates as u64;
            for r in summary.rejected {
                refused.push((
                    format!("batch {batches}#{}", r.index),
                    r.message_id,
                    r.error,
                ));
            }
        }
        let new_touches = bulk.new_touches;
        let finished = bulk
            .finish()
            .await
            .context("cannot settle the imported journeys' ledgers")?;
        anyhow::Ok((stored, duplicates, new_touches, finished, refused))
    });
    // A failed load dropped the receiver, which stopped the reader.
    let mut read = reading
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
    let (stored, duplicates, new_touches, finished, refused) = loaded?;
    for problem in found.problems {
        read.problem(problem.path, problem.problem);
    }
    for (at, message_id, error) in refused {
        read.reject(at, message_id, error);
    }
    tracing::info!(journeys = finished.journeys, new_touches, "ledgers settled");
    let seconds = started.elapsed().as_secs_f64();
    let mut summary = Summary::new(read, stored, duplicates, seconds);
    summary.journeys_settled = finished.journeys as u64;
    summary.deletions = finished.deletions as u64;
    summary.erased = finished.erased;
    summary.new_touches = new_touches;
    Ok(summary)
}
