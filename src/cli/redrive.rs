//! `sma redrive`: the way back from the AWS shape's failure queue. A stream
//! consumer that gives up on a record leaves the device or user it belongs to
//! there; once the cause is fixed, this derives each of them again from the
//! tables (the source of truth), settles their ledgers, and removes their
//! messages. Deriving is idempotent, so a message taken twice changes nothing.
//! Lambda's own records of failed batches name only stream positions: they are
//! counted and left on the queue (`sma rebuild` derives everything again).

use std::collections::BTreeSet;

use anyhow::Context;
use indicatif::ProgressBar;
use sma_app::{App, StoreKind};
use sma_failure_queue::{Body, FailureQueue, aws_sdk_sqs};
use sma_store::{Owner, Store};

use super::context::{self, OnStore};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// URL of the failure queue (the stack output `StreamFailureQueueUrl`).
    #[arg(long, env = "FAILURE_QUEUE_URL")]
    queue_url: String,
    /// Another SQS endpoint than the region's (a local stand-in).
    #[arg(long, env = "SQS_ENDPOINT")]
    sqs_endpoint: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = context::settings()?;
    if settings.store != StoreKind::Dynamodb {
        anyhow::bail!(
            "sma redrive works on the DynamoDB tables of a deployment: set STORE=dynamodb"
        );
    }
    let runtime = context::runtime()?;
    let queue = runtime.block_on(async {
        let config =
            sma_store_dynamodb::sdk_config(settings.region.clone(), args.sqs_endpoint).await;
        FailureQueue::new(aws_sdk_sqs::Client::new(&config), args.queue_url)
    });
    let taken = runtime.block_on(take_all(&queue))?;
    let owners: Vec<Owner> = taken.owners.into_iter().collect();
    if !owners.is_empty() {
        context::on_configured_store(settings, &runtime, Rederive(owners.clone()))?;
    }
    runtime.block_on(async {
        for receipt in &taken.done {
            queue.delete(receipt).await?;
        }
        anyhow::Ok(())
    })?;
    eprintln!(
        "redrive: {} devices and users derived again from {} messages; {} batch positions left on the queue{}",
        owners.len(),
        taken.done.len(),
        taken.positions,
        if taken.positions > 0 {
            " (they name no device or user: run `sma rebuild` to derive everything again)"
        } else {
            ""
        }
    );
    Ok(())
}

/// What the queue held.
#[derive(Default)]
struct Taken {
    owners: BTreeSet<Owner>,
    /// Receipts of the messages to remove once their owners are derived.
    done: Vec<String>,
    positions: usize,
}

/// Takes every message (each stays invisible for the queue's visibility
/// timeout, so none is taken twice in one run).
async fn take_all(queue: &FailureQueue) -> anyhow::Result<Taken> {
    let progress = ProgressBar::new_spinner().with_message("reading the failure queue");
    let mut taken = Taken::default();
    loop {
        let batch = queue.receive().await.context("reading the failure queue")?;
        if batch.is_empty() {
            break;
        }
        for message in batch {
            match message.body {
                Body::GivenUp(given_up) => {
                    taken.owners.extend(given_up.owners);
                    taken.done.push(message.receipt);
                }
                Body::StreamPosition(position) => {
                    tracing::warn!(%position, "a failed batch known only by its stream position");
                    taken.positions += 1;
                }
            }
            progress.inc(1);
        }
    }
    progress.finish_and_clear();
    Ok(taken)
}

struct Rederive(Vec<Owner>);

impl OnStore for Rederive {
    type Output = ();

    fn run<S: Store>(self, runtime: &tokio::runtime::Runtime, app: &App<S>) -> anyhow::Result<()> {
        runtime.block_on(async {
            let mut bulk = app.bulk();
            bulk.rederive(&self.0).await?;
            bulk.finish().await?;
            app.settle_journeys(&self.0).await?;
            anyhow::Ok(())
        })
    }
}
