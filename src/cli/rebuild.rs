//! `sma rebuild`: brings a store written by an earlier version of sma up to
//! date. Every device's session state and touches are derived anew from its
//! stored events, the conversions and milestones among them are marked, and
//! then every journey's ledger is settled in full. Every step is idempotent,
//! so running it again changes nothing; an interrupted run resumes where it
//! stopped (its progress is kept in a file beside the store).

use std::path::{Path, PathBuf};

use anyhow::Context;
use sma_app::App;
use sma_store::{Owner, Store};

use super::context;
use super::import::progress::{Progress, Unit};

/// Journeys derived or settled per round of store calls.
const CHUNK: usize = 500;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_: Args) -> anyhow::Result<()> {
    let settings = context::settings()?;
    let checkpoint = checkpoint_path(&settings);
    let runtime = context::runtime()?;
    let journeys = context::on_configured_store(settings, &runtime, Rebuild { checkpoint })?;
    eprintln!("rebuilt: {journeys} devices and users derived again, their ledgers settled");
    Ok(())
}

struct Rebuild {
    checkpoint: PathBuf,
}

/// Where a run keeps its progress: beside the embedded store, or in the
/// working directory for the DynamoDB tables.
fn checkpoint_path(settings: &sma_app::Settings) -> PathBuf {
    match settings.store {
        sma_app::StoreKind::Sqlite => {
            let mut path = settings.sma_db.as_os_str().to_owned();
            path.push("-rebuild");
            PathBuf::from(path)
        }
        sma_app::StoreKind::Dynamodb => PathBuf::from(format!("{}.rebuild", settings.events_table)),
    }
}

/// The two phases, in order; a checkpoint names the phase and the last
/// journey done in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Derive,
    Settle,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Derive => "derive",
            Phase::Settle => "settle",
        }
    }
}

fn read_checkpoint(path: &Path) -> anyhow::Result<Option<(Phase, Owner)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let parsed = text
        .trim_end_matches('\n')
        .split_once(' ')
        .and_then(|(phase, owner)| {
            let phase = [Phase::Derive, Phase::Settle]
                .into_iter()
                .find(|p| p.name() == phase)?;
            let owner = match owner.split_once(':')? {
                ("dev", id) => Owner::Device(id.to_owned()),
                ("usr", id) => Owner::User(id.to_owned()),
                _ => return None,
            };
            Some((phase, owner))
        });
    match parsed {
        Some(done) => Ok(Some(done)),
        None => anyhow::bail!(
            "{} is not a rebuild checkpoint; remove it to rebuild from the start",
            path.display()
        ),
    }
}

fn write_checkpoint(path: &Path, phase: Phase, owner: &Owner) -> anyhow::Result<()> {
    let owner = match owner {
        Owner::Device(id) => format!("dev:{id}"),
        Owner::User(id) => format!("usr:{id}"),
    };
    // Written aside and renamed: a crash leaves the old checkpoint or the new.
    let aside = path.with_extension("tmp");
    std::fs::write(&aside, format!("{} {owner}\n", phase.name()))
        .and_then(|()| std::fs::rename(&aside, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

impl context::OnStore for Rebuild {
    type Output = usize;

    fn bulk(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::from_secs(2))
    }

    fn run<S: Store>(
        self,
        runtime: &tokio::runtime::Runtime,
        app: &App<S>,
    ) -> anyhow::Result<usize> {
        let done = read_checkpoint(&self.checkpoint)?;
        if let Some((phase, owner)) = &done {
            eprintln!("resuming after {} {owner:?}", phase.name());
        }
        let journeys = runtime.block_on(async {
            let owners = app
                .store
                .owners(None, None)
                .await
                .context("cannot list the store's journeys")?;
            for phase in [Phase::Derive, Phase::Settle] {
                let todo: Vec<&Owner> = owners
                    .iter()
                    .filter(|o| match &done {
                        Some((p, last)) if *p == phase => *o > last,
                        Some((p, _)) => *p < phase,
                        None => true,
                    })
                    .collect();
                self.phase(app, phase, &todo).await?;
            }
            anyhow::Ok(owners.len())
        })?;
        let _ = std::fs::remove_file(&self.checkpoint);
        Ok(journeys)
    }
}

impl Rebuild {
    async fn phase<S: Store>(
        &self,
        app: &App<S>,
        phase: Phase,
        owners: &[&Owner],
    ) -> anyhow::Result<()> {
        let total = Some(owners.len() as u64);
        let mut progress = Progress::new(phase.name(), "journeys", total, Unit::Items("journeys"));
        let mut done = 0u64;
        for chunk in owners.chunks(CHUNK) {
            let chunk: Vec<Owner> = chunk.iter().map(|&o| o.clone()).collect();
            match phase {
                // The ledgers this touches are settled in the next phase,
                // every journey in full, so nothing is settled here.
                Phase::Derive => app
                    .bulk()
                    .rederive(&chunk)
                    .await
                    .context("cannot derive again")?,
                Phase::Settle => {
                    app.settle_journeys(&chunk)
                        .await
                        .context("cannot settle the ledgers")?;
                }
            }
            done += chunk.len() as u64;
            progress.update(done, done);
            write_checkpoint(&self.checkpoint, phase, chunk.last().expect("a chunk"))?;
        }
        progress.finish();
        Ok(())
    }
}
