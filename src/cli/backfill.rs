//! `sma backfill`: re-sends identify traits, "Source Identified" events for past
//! visits and the credit events of past conversions, with their historic
//! timestamps, from the store `STORE` names. Messages
//! carry deterministic ids, so a re-run sends the same ids and Segment
//! deduplicates them. Journeys are read several at a time (on DynamoDB each is a
//! few round trips), in order, and an interrupted run resumes after the last
//! journey whose messages were all delivered.

use std::collections::BTreeSet;

use anyhow::Context;
use futures_util::{StreamExt, stream};
use indicatif::{ProgressBar, ProgressStyle};
use segment_client::{Message, SendReport};
use sma_app::{App, FeedParts, Period, Subject};
use sma_store::Store;

use super::checkpoint::Checkpoint;
use super::context::{self, OnStore};

/// Messages sent per call to the client (it splits them further within Segment's
/// request limits); bounds memory on large histories.
const CHUNK: usize = 2_500;
/// Journeys read at once: enough to hide a remote store's round trips.
const PARALLEL: usize = 16;

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
    /// What to send: a comma-separated list of identify, touches, conversions.
    #[arg(long, default_value_t = FeedParts::ALL)]
    only: FeedParts,
    /// Build everything, send nothing, print what would be sent (as JSON lines).
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // Reports' periods read the same date forms.
    let range = Period::parse(args.since.as_deref(), args.until.as_deref())
        .map_err(|e| anyhow::anyhow!(e.replace("`from`", "--since").replace("`to`", "--until")))?;
    let mut settings = context::settings()?;
    if args.dry_run {
        settings.feed.analytics_write_key = None;
    }
    let checkpoint = Checkpoint::of("backfill", &settings.store);
    let runtime = context::runtime()?;
    context::on_configured_store(
        settings,
        &runtime,
        Backfill {
            args,
            range,
            checkpoint,
        },
    )
}

struct Backfill {
    args: Args,
    range: Period,
    checkpoint: Checkpoint,
}

impl OnStore for Backfill {
    type Output = ();

    fn run<S: Store>(self, runtime: &tokio::runtime::Runtime, app: &App<S>) -> anyhow::Result<()> {
        let dry_run = app.segment.is_dry_run();
        if dry_run && !self.args.dry_run {
            eprintln!("ANALYTICS_WRITE_KEY is not set: dry run, nothing is sent");
        }
        runtime.block_on(self.send(app, dry_run))
    }
}

impl Backfill {
    /// What a checkpoint is valid for: a resumed run must cover the same range
    /// users and parts.
    fn scope(&self) -> String {
        format!(
            "since={} until={} users={} only={}",
            self.args.since.as_deref().unwrap_or("-"),
            self.args.until.as_deref().unwrap_or("-"),
            self.args.users.join(","),
            self.args.only
        )
    }

    /// The journey the last run of the same scope finished with, if any.
    fn resume_after(&self) -> anyhow::Result<Option<Subject>> {
        let Some(line) = self.checkpoint.read()? else {
            return Ok(None);
        };
        let (scope, last) = line
            .split_once('\t')
            .ok_or_else(|| self.checkpoint.unreadable())?;
        if scope != self.scope() {
            return Ok(None);
        }
        let subject = match last.split_once(':') {
            Some(("usr", id)) => Subject::User(id.to_owned()),
            Some(("dev", id)) => Subject::Device(id.to_owned()),
            _ => return Err(self.checkpoint.unreadable()),
        };
        eprintln!("resuming after {subject:?}");
        Ok(Some(subject))
    }

    fn done_through(&self, subject: &Subject) -> anyhow::Result<()> {
        let last = match subject {
            Subject::User(id) => format!("usr:{id}"),
            Subject::Device(id) => format!("dev:{id}"),
        };
        self.checkpoint.write(&format!("{}\t{last}", self.scope()))
    }

    async fn send<S: Store>(&self, app: &App<S>, dry_run: bool) -> anyhow::Result<()> {
        let (args, range) = (&self.args, &self.range);
        let mut subjects: BTreeSet<Subject> = if args.users.is_empty() {
            app.subjects(range.from, range.to).await?
        } else {
            args.users
                .iter()
                .map(|u| Subject::User(u.clone()))
                .collect()
        };
        let resumed = if dry_run { None } else { self.resume_after()? };
        if let Some(last) = &resumed {
            subjects = subjects.split_off(last);
            subjects.remove(last);
        }
        let progress = bar(subjects.len() as u64);
        let mut totals = Totals::default();
        let mut pending: Vec<Message> = Vec::new();
        let mut built = stream::iter(&subjects)
            .map(|subject| async move {
                let messages = app
                    .backfill_messages(subject, range.from, range.to, args.only)
                    .await
                    .with_context(|| format!("building the messages of {subject:?}"));
                (subject, messages)
            })
            .buffered(PARALLEL);
        while let Some((subject, messages)) = built.next().await {
            pending.extend(messages?);
            if pending.len() >= CHUNK {
                self.deliver(app, &mut pending, &mut totals, dry_run, subject)
                    .await?;
            }
            progress.inc(1);
        }
        if let Some(last) = subjects.last() {
            self.deliver(app, &mut pending, &mut totals, dry_run, last)
                .await?;
        }
        progress.finish_and_clear();
        totals.print(subjects.len(), dry_run);
        if totals.failed > 0 {
            anyhow::bail!("{} messages were not delivered", totals.failed);
        }
        if !dry_run {
            self.checkpoint.remove();
        }
        Ok(())
    }

    /// Sends what is pending; while everything so far was delivered, the
    /// journeys through `last` need not be sent again.
    async fn deliver<S: Store>(
        &self,
        app: &App<S>,
        pending: &mut Vec<Message>,
        totals: &mut Totals,
        dry_run: bool,
        last: &Subject,
    ) -> anyhow::Result<()> {
        totals.add(app.segment.send(std::mem::take(pending)).await, dry_run);
        if !dry_run && totals.failed == 0 {
            self.done_through(last)?;
        }
        Ok(())
    }
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
