//! `sma gen`: realistic synthetic Segment history, written as Segment writes its S3
//! archive (`DIR/segment-logs/<source-id>/<epoch-ms-of-day>/<n>.gz`). Deterministic
//! for a seed: tests and benchmarks import what it writes.
//!
//! Visitors have 1-3 devices and come back over the days through search, ads,
//! social, email, AI assistants, partners or directly; they browse, sign up (an
//! identify links the device), log in on other devices, request demos (followed by
//! CRM milestones) and buy.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use sma_archive::GzipLines;

use super::import::progress::{Progress, Unit};
use sma_synth::archive::event::Line;
use sma_synth::archive::session::{self, World};
use sma_synth::archive::shape::Profile;
use sma_synth::archive::visitor::{self, Visitor};
use sma_synth::rng::{ALNUM, Draws, stream};

const DAY_MS: i64 = 86_400_000;
/// Lines per archive file and per gzip member within it.
const FILE_LINES: usize = 5_000;
const MEMBER_LINES: usize = 500;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of visitors (people; each with 1-3 devices).
    #[arg(long)]
    visitors: u32,
    /// Number of days of history.
    #[arg(long)]
    days: u32,
    /// Directory to write `segment-logs/` into.
    #[arg(long)]
    out: PathBuf,
    /// The same seed writes the same archive, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day of the history (UTC).
    #[arg(long, default_value = "2025-01-01")]
    start: NaiveDate,
    /// Segment source id for the path (default: derived from the seed).
    #[arg(long)]
    source_id: Option<String>,
    /// How engaged visitors are: `engaged` (return visits, several pages) or
    /// `realistic` (most visitors anonymous with one or two page views).
    #[arg(long, default_value = "engaged")]
    profile: Profile,
}

/// What was written.
#[derive(Debug, Default)]
struct Written {
    events: u64,
    files: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.days == 0 || args.visitors == 0 {
        bail!("--visitors and --days must be at least 1");
    }
    let source_id = args
        .source_id
        .clone()
        .unwrap_or_else(|| stream(args.seed, 0x50_75_72_63).token(10, ALNUM));
    let root = args.out.join("segment-logs").join(&source_id);
    if std::fs::read_dir(&root).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} already holds an archive; choose another --out or remove it",
            root.display()
        );
    }
    let start = args
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis();
    let world = World {
        seed: args.seed,
        end: start + i64::from(args.days) * DAY_MS,
        shape: args.profile.shape(),
    };

    let mut plans = Vec::new();
    let mut visitors: Vec<Visitor> = (0..args.visitors)
        .map(|v| visitor::plan(&world, v, start, &mut plans))
        .collect();
    plans.sort_unstable();
    tracing::info!(
        visitors = args.visitors,
        sessions = plans.len(),
        days = args.days,
        seed = args.seed,
        "generating"
    );

    let mut progress = Progress::new(
        "gen",
        "events",
        Some(plans.len() as u64),
        Unit::Items("sessions"),
    );
    let mut writer = DayWriter {
        root: root.clone(),
        written: Written::default(),
    };
    // Messages wait here until no later session can add to their day.
    let mut pending: BTreeMap<i64, Vec<Line>> = BTreeMap::new();
    let mut lines = Vec::new();
    for (done, plan) in plans.iter().enumerate() {
        let today = plan.start.div_euclid(DAY_MS);
        while let Some(entry) = pending.first_entry().filter(|e| *e.key() < today) {
            let (day, mut day_lines) = entry.remove_entry();
            writer.write_day(day, &mut day_lines)?;
        }
        session::simulate(
            &world,
            *plan,
            &mut visitors[plan.visitor as usize],
            &mut lines,
        );
        for line in lines.drain(..) {
            pending
                .entry(line.ts.div_euclid(DAY_MS))
                .or_default()
                .push(line);
        }
        if done % 1024 == 0 {
            progress.update(done as u64, writer.written.events);
        }
    }
    for (day, mut day_lines) in std::mem::take(&mut pending) {
        writer.write_day(day, &mut day_lines)?;
    }
    progress.update(plans.len() as u64, writer.written.events);
    progress.finish();

    let users = visitors.iter().filter(|v| v.identified != 0).count();
    let devices: u64 = visitors.iter().map(|v| u64::from(v.devices)).sum();
    let Written { events, files } = writer.written;
    println!(
        "wrote {events} events in {files} files under {} ({} visitors, {devices} devices, {} sessions, {users} identified users, seed {})",
        root.display(),
        args.visitors,
        plans.len(),
        args.seed,
    );
    Ok(())
}

/// Writes each day's messages in time order into numbered files.
struct DayWriter {
    root: PathBuf,
    written: Written,
}

impl DayWriter {
    fn write_day(&mut self, day: i64, lines: &mut [Line]) -> anyhow::Result<()> {
        lines.sort_unstable();
        let dir = self.root.join((day * DAY_MS).to_string());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for (n, chunk) in lines.chunks(FILE_LINES).enumerate() {
            let path = dir.join(format!("{n}.gz"));
            write_file(&path, chunk).with_context(|| format!("cannot write {}", path.display()))?;
            self.written.files += 1;
            self.written.events += chunk.len() as u64;
        }
        Ok(())
    }
}

fn write_file(path: &Path, lines: &[Line]) -> std::io::Result<()> {
    let file = BufWriter::with_capacity(256 * 1024, File::create(path)?);
    // Level 1: generation is bulk work, and the reader does not care.
    let mut gz = GzipLines::new(file, MEMBER_LINES, 1);
    for line in lines {
        gz.write_line(line.text.as_bytes())?;
    }
    gz.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(())
}
