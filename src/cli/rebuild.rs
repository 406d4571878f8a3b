//! `sma rebuild`: brings a store written by an earlier version of sma up to
//! date. Every device's session state and touches are derived anew from its
//! stored events, the conversions and milestones among them are marked, and
//! then every journey's ledger is settled in full. Every step is idempotent,
//! so running it again changes nothing; an interrupted run resumes where it
//! stopped (its progress is kept in a file beside the store).

use anyhow::Context;
use sma_app::App;
use sma_store::{Owner, Store};

use super::checkpoint::Checkpoint;
use super::context;
use super::import::progress::{Progress, Unit};

/// Journeys derived or settled per round of store calls.
const CHUNK: usize = 500;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_: Args) -> anyhow::Result<()> {
    let settings = context::settings()?;
    let checkpoint = Checkpoint::of("rebuild", &settings.store);
    let runtime = context::runtime()?;
    let journeys = context::on_configured_store(settings, &runtime, Rebuild { checkpoint })?;
    eprintln!("rebuilt: {journeys} devices and users derived again, their ledgers settled");
    Ok(())
}

struct Rebuild {
    checkpoint: Checkpoint,
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

fn read_checkpoint(checkpoint: &Checkpoint) -> anyhow::Result<Option<(Phase, Owner)>> {
    let Some(line) = checkpoint.read()? else {
        return Ok(None);
    };
    let parsed = line.split_once(' ').and_then(|(phase, owner)| {
        let phase = [Phase::Derive, Phase::Settle]
            .into_iter()
            .find(|p| p.name() == phase)?;
        let owner = match owner.split_once(':')? {
            ("dev", id) => Owner::Device(id.to_owned()),
            ("usr", id) => Owner::User(id.to_owned()),
            ("acc", id) => Owner::Account(id.to_owned()),
            _ => return None,
        };
        Some((phase, owner))
    });
    parsed.map(Some).ok_or_else(|| checkpoint.unreadable())
}

fn write_checkpoint(checkpoint: &Checkpoint, phase: Phase, owner: &Owner) -> anyhow::Result<()> {
    let owner = match owner {
        Owner::Device(id) => format!("dev:{id}"),
        Owner::User(id) => format!("usr:{id}"),
        Owner::Account(id) => format!("acc:{id}"),
    };
    checkpoint.write(&format!("{} {owner}", phase.name()))
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
        self.checkpoint.remove();
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
