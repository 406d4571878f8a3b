//! `sma backfill`: re-sends identify traits and "Source Identified" events for past
//! visits, with their historic timestamps, from the store `STORE` names. Messages
//! carry deterministic ids, so a re-run sends the same ids and Segment
//! deduplicates them.

use std::collections::BTreeSet;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use segment_client::{Message, SendReport};
use sma_app::{App, ReportRequest, Subject};
use sma_store::Store;

use super::context::{self, OnStore};

/// Messages sent per call to the client (it splits them further within Segment's
/// request limits); bounds memory on large histories.
const CHUNK: usize = 2_500;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Touches at or after this date (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Touches before this date or time.
    #[arg(long)]
    until: Option<String>,
    /// Only these users (comma-separated userIds) instead of everyone active in the range.
    #[arg(long, value_delimiter = ',')]
    users: Vec<String>,
    /// Build everything, send nothing, print what would be sent (as JSON lines).
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // The report parser reads the same date forms; the model is irrelevant here.
    let range = ReportRequest::parse("first", args.since.as_deref(), args.until.as_deref())
        .map_err(|e| anyhow::anyhow!(e.replace("`from`", "--since").replace("`to`", "--until")))?;
    let mut settings = context::settings()?;
    if args.dry_run {
        settings.analytics_write_key = None;
    }
    let runtime = context::runtime()?;
    context::on_configured_store(settings, &runtime, Backfill { args, range })
}

struct Backfill {
    args: Args,
    range: ReportRequest,
}

impl OnStore for Backfill {
    type Output = ();

    fn run<S: Store>(self, runtime: &tokio::runtime::Runtime, app: &App<S>) -> anyhow::Result<()> {
        let Backfill { args, range } = self;
        let dry_run = app.segment.is_dry_run();
        if dry_run && !args.dry_run {
            eprintln!("ANALYTICS_WRITE_KEY is not set: dry run, nothing is sent");
        }
        runtime.block_on(send(app, &args, &range, dry_run))
    }
}

async fn send<S: Store>(
    app: &App<S>,
    args: &Args,
    range: &ReportRequest,
    dry_run: bool,
) -> anyhow::Result<()> {
    let subjects: BTreeSet<Subject> = if args.users.is_empty() {
        app.subjects(range.from, range.to).await?
    } else {
        args.users
            .iter()
            .map(|u| Subject::User(u.clone()))
            .collect()
    };
    let progress = bar(subjects.len() as u64);
    let mut totals = Totals::default();
    let mut pending: Vec<Message> = Vec::new();
    for subject in &subjects {
        let messages = app
            .backfill_messages(subject, range.from, range.to)
            .await
            .with_context(|| format!("building the messages of {subject:?}"))?;
        pending.extend(messages);
        if pending.len() >= CHUNK {
            totals.add(
                app.segment.send(std::mem::take(&mut pending)).await,
                dry_run,
            );
        }
        progress.inc(1);
    }
    totals.add(app.segment.send(pending).await, dry_run);
    progress.finish_and_clear();
    totals.print(subjects.len(), dry_run);
    if totals.failed > 0 {
        anyhow::bail!("{} messages were not delivered", totals.failed);
    }
    Ok(())
}

fn bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} journeys ({per_sec}, {eta} left)")
            .expect("template is valid"),
    );
    bar
}

#[derive(Default)]
struct Totals {
    messages: usize,
    batches: usize,
    sent: usize,
    failed: usize,
}

impl Totals {
    fn add(&mut self, report: SendReport, dry_run: bool) {
        self.messages += report.messages;
        self.batches += report.batches;
        self.sent += report.sent;
        self.failed += report.failed.len();
        for failure in report.failed.iter().take(5) {
            eprintln!("not delivered: {} ({})", failure.message_id, failure.reason);
        }
        if dry_run {
            for message in &report.would_send {
                println!("{message}");
            }
        }
    }

    fn print(&self, journeys: usize, dry_run: bool) {
        let verb = if dry_run { "would send" } else { "sent" };
        eprintln!(
            "backfill: {journeys} journeys, {} messages, {verb} {}{}, {} failed",
            self.messages,
            if dry_run { self.messages } else { self.sent },
            if dry_run {
                String::new()
            } else {
                format!(" in {} requests", self.batches)
            },
            self.failed
        );
    }
}
