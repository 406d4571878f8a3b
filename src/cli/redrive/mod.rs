//! `sma redrive`: the way back from the AWS shape's failure queue. A stream
//! consumer that gives up on a record leaves the device or user it belongs to
//! there; once the cause is fixed, this derives each of them again from the
//! tables (the source of truth), settles their ledgers, and removes their
//! messages. Deriving is idempotent, so a message taken twice changes nothing.
//! Lambda's own records of failed batches name only stream positions: the
//! records there are read back and their owners derived too ([`positions`]);
//! one that can no longer be read is reported and left on the queue.

mod positions;

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
    if settings.store.kind != StoreKind::Dynamodb {
        anyhow::bail!(
            "sma redrive works on the DynamoDB tables of a deployment: set STORE=dynamodb"
        );
    }
    let runtime = context::runtime()?;
    let (queue, streams) = runtime.block_on(async {
        let region = settings.store.region.clone();
        let sqs = sma_store_dynamodb::sdk_config(region.clone(), args.sqs_endpoint).await;
        let queue = FailureQueue::new(aws_sdk_sqs::Client::new(&sqs), args.queue_url);
        let dynamodb =
            sma_store_dynamodb::sdk_config(region, settings.store.dynamodb_endpoint.clone());
        (queue, aws_sdk_dynamodbstreams::Client::new(&dynamodb.await))
    });
    let taken = runtime.block_on(take_all(&queue, &streams))?;
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
        "redrive: {} devices and users derived again from {} messages; {} left on the queue{}",
        owners.len(),
        taken.done.len(),
        taken.unread,
        if taken.unread > 0 {
            " (their stream records cannot be read: run `sma rebuild` to derive everything again)"
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
    /// Stream positions whose records cannot be read any more.
    unread: usize,
}

/// Takes every message (each stays invisible for the queue's visibility
/// timeout, so none is taken twice in one run).
async fn take_all(
    queue: &FailureQueue,
    streams: &aws_sdk_dynamodbstreams::Client,
) -> anyhow::Result<Taken> {
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
                    match positions::owners_of(streams, &position).await {
                        Ok(owners) => {
                            taken.owners.extend(owners);
                            taken.done.push(message.receipt);
                        }
                        Err(error) => {
                            let error = format!("{error:#}");
                            tracing::warn!(%position, error, "a failed batch whose records cannot be read");
                            taken.unread += 1;
                        }
                    }
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
