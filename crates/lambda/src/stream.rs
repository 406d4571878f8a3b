//! DynamoDB stream consumers: a batch of stream records in, in order, and the
//! partial batch response Lambda expects out (`ReportBatchItemFailures`).
//!
//! Semantics (AWS "partial batch response" for stream sources): records of a
//! shard are processed in order; at the first record that cannot be processed,
//! the handler stops and answers `{"batchItemFailures": [{"itemIdentifier":
//! <its SequenceNumber>}]}`. Lambda checkpoints before it and retries from it;
//! with `BisectBatchOnFunctionError` it retries only the records from there on.
//! Every step is idempotent, so records that are processed again change nothing.
//!
//! Poison records, whose image cannot be rebuilt (a damaged item, or one written
//! by an incompatible version), can never succeed: the consumer gives up on them
//! at once, leaving the device or user whose item it is on the failure queue
//! (`FAILURE_QUEUE_URL`, [`sma_failure_queue`]) for `sma redrive` to derive again
//! from the tables once the cause is fixed, and goes on with the records after.
//! Without a queue, or when the queue cannot take it, a poison record is
//! reported as failed like any other: after the template's
//! `MaximumRetryAttempts` the batch's stream position goes to the same queue.
//! Skipping it silently would lose the record with no trace; failing the whole
//! invocation would hold back the valid records before it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{LambdaEvent, service_fn};
use sma_failure_queue::{FailureQueue, GivenUp};
use sma_store::StoreError;

use crate::image::{Image, sdk_image, string};
use crate::{Error, LambdaApp};

/// What a stream record says happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Modify,
    Remove,
}

/// A stream record as a consumer reads it: what happened, the item's keys,
/// and its images as the table's stream view keeps them (empty when it keeps
/// none: the old image of an INSERT, both images of a keys-only stream).
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    pub keys: Image,
    pub new: Image,
    pub old: Image,
}

impl Change {
    /// An inserted item's image, if this is an INSERT.
    pub fn inserted(&self) -> Option<&Image> {
        (self.kind == ChangeKind::Insert).then_some(&self.new)
    }
}

/// One step of the pipeline, driven by a table's stream.
pub trait Consumer: Send + Sync + 'static {
    /// What a record is rebuilt into (a message, a touch …).
    type Item: Send + Sync;

    /// The consumer's name in logs.
    fn name(&self) -> &'static str;

    /// Whether a change is of the kind this consumer handles. The event
    /// source mapping's filter already passes only those on AWS; this keeps a
    /// consumer safe without it (other kinds of item share the tables, and an
    /// import rewriting an identical item makes a MODIFY).
    fn wants(&self, change: &Change) -> bool;

    /// Rebuilds the item; an error makes the record a poison record.
    fn rebuild(&self, change: &Change) -> Result<Self::Item, StoreError>;

    /// Processes the items in order. On failure, answers the index of the first
    /// item not (completely) processed: everything before it is done.
    fn apply(
        &self,
        app: &LambdaApp,
        items: &[Self::Item],
    ) -> impl Future<Output = Result<(), Failed>> + Send;
}

/// The first item a [`Consumer::apply`] could not process, and why.
#[derive(Debug)]
pub struct Failed {
    /// Index into the items given to `apply`.
    pub at: usize,
    pub error: Error,
}

impl Failed {
    pub fn new(at: usize, error: impl Into<Error>) -> Failed {
        Failed {
            at,
            error: error.into(),
        }
    }
}

/// Runs `consumer` on the stream batches Lambda delivers, until the runtime stops
/// the process.
pub async fn run_stream<C: Consumer>(app: LambdaApp, consumer: C) -> Result<(), Error> {
    let queue = crate::failure_queue(&app).await;
    let shared = Arc::new((app, consumer, queue));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let shared = Arc::clone(&shared);
        // Boxed: the step's future is deep (store, SDK), and the runtime's own
        // future would otherwise nest it beyond the compiler's layout depth.
        Box::pin(async move {
            let (app, consumer, queue) = &*shared;
            handle_batch(app, consumer, queue.as_ref(), event.payload).await
        }) as Pin<Box<dyn Future<Output = _> + Send>>
    }))
    .await
}

/// Processes one batch: the records `consumer` wants, in order, stopping at
/// the first failure (see the module documentation). Those it does not want
/// (an import rewriting an identical item, TTL deletions) are skipped, as the
/// template's filters drop them.
///
/// Errs only when a failed record has no sequence number to report; Lambda then
/// retries the whole batch.
pub async fn handle_batch<C: Consumer>(
    app: &LambdaApp,
    consumer: &C,
    queue: Option<&FailureQueue>,
    batch: Event,
) -> Result<DynamoDbEventResponse, Error> {
    let total = batch.records.len();
    let mut sequence_numbers = Vec::with_capacity(total);
    let mut taken = Vec::new();
    let mut poison = None;
    for (index, record) in batch.records.into_iter().enumerate() {
        sequence_numbers.push(record.change.sequence_number);
        let kind = match record.event_name.as_str() {
            "INSERT" => ChangeKind::Insert,
            "MODIFY" => ChangeKind::Modify,
            "REMOVE" => ChangeKind::Remove,
            _ => continue,
        };
        let change = Change {
            kind,
            keys: sdk_image(record.change.keys),
            new: sdk_image(record.change.new_image),
            old: sdk_image(record.change.old_image),
        };
        if !consumer.wants(&change) {
            continue;
        }
        match consumer.rebuild(&change) {
            Ok(item) => taken.push((index, item)),
            Err(error) => {
                let sequence_number = sequence_numbers[index].as_deref().unwrap_or("-");
                let reason = format!("its image cannot be rebuilt: {error}");
                if give_up(queue, consumer, &change.keys, sequence_number, reason).await {
                    continue;
                }
                tracing::error!(
                    consumer = consumer.name(),
                    event_id = %record.event_id,
                    sequence_number = sequence_numbers[index].as_deref().unwrap_or("-"),
                    %error,
                    "poison record: its image cannot be rebuilt; reported as failed"
                );
                poison = Some(index);
                break;
            }
        }
    }
    let (indices, items): (Vec<usize>, Vec<C::Item>) = taken.into_iter().unzip();
    let failed = match consumer.apply(app, &items).await {
        Ok(()) => poison,
        Err(Failed { at, error }) => {
            let index = indices.get(at).or(indices.first()).copied().unwrap_or(0);
            tracing::error!(
                consumer = consumer.name(),
                sequence_number = sequence_numbers[index].as_deref().unwrap_or("-"),
                %error,
                "record failed; Lambda retries the batch from it"
            );
            Some(index)
        }
    };
    tracing::info!(
        consumer = consumer.name(),
        records = total,
        processed = failed.map_or(items.len(), |f| indices.partition_point(|&i| i < f)),
        failed = failed.is_some(),
        "stream batch"
    );
    let mut response = DynamoDbEventResponse::default();
    if let Some(index) = failed {
        let sequence_number = sequence_numbers[index]
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or("a failed stream record has no SequenceNumber: failing the whole batch")?;
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence_number);
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

/// Leaves the owner of the item keyed `keys` on the failure queue; answers
/// whether it is there (and the record may be passed over).
async fn give_up<C: Consumer>(
    queue: Option<&FailureQueue>,
    consumer: &C,
    keys: &Image,
    sequence_number: &str,
    reason: String,
) -> bool {
    let Some(queue) = queue else {
        return false;
    };
    let Some(owner) = string(keys, "pk").and_then(sma_store_dynamodb::owner_of_partition) else {
        return false;
    };
    let given_up = GivenUp {
        consumer: consumer.name().to_owned(),
        sequence_number: sequence_number.to_owned(),
        owners: vec![owner],
        reason,
    };
    match queue.give_up(&given_up).await {
        Ok(()) => {
            tracing::error!(
                consumer = consumer.name(),
                sequence_number,
                owners = ?given_up.owners,
                reason = %given_up.reason,
                "record given up: its owner is on the failure queue for `sma redrive`"
            );
            true
        }
        Err(error) => {
            tracing::error!(%error, "the failure queue cannot take a given-up record");
            false
        }
    }
}
