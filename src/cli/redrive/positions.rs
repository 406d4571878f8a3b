//! Lambda's own records of stream batches that failed all their retries name
//! no device or user, only where the batch sits in the stream. The records are
//! still there (the template caps a record's age at 6 hours of the stream's 24),
//! so they are read back through the DynamoDB Streams API, and the owners of
//! their items are what the redrive derives again.

use anyhow::Context;
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use serde::Deserialize;
use sma_store::Owner;

/// The part of Lambda's on-failure record sma reads.
#[derive(Debug, Deserialize)]
struct FailureRecord {
    #[serde(rename = "DDBStreamBatchInfo")]
    batch: BatchInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchInfo {
    shard_id: String,
    start_sequence_number: String,
    end_sequence_number: String,
    stream_arn: String,
}

/// The owners of the items of the batch `record` (Lambda's JSON) names.
pub async fn owners_of(client: &Client, record: &str) -> anyhow::Result<Vec<Owner>> {
    let FailureRecord { batch } =
        serde_json::from_str(record).context("not a record of a failed DynamoDB stream batch")?;
    let iterator = client
        .get_shard_iterator()
        .stream_arn(&batch.stream_arn)
        .shard_id(&batch.shard_id)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(&batch.start_sequence_number)
        .send()
        .await
        .map_err(|e| {
            sdk(
                e,
                "GetShardIterator (the records may be past the stream's 24 hours)",
            )
        })?;
    let end = sequence(&batch.end_sequence_number)?;
    let mut owners = Vec::new();
    let mut next = iterator.shard_iterator().map(str::to_owned);
    while let Some(iterator) = next {
        let page = client
            .get_records()
            .shard_iterator(iterator)
            .send()
            .await
            .map_err(|e| sdk(e, "GetRecords"))?;
        if page.records().is_empty() {
            break;
        }
        for record in page.records() {
            let Some(change) = record.dynamodb() else {
                continue;
            };
            if sequence(change.sequence_number().unwrap_or_default())? > end {
                return Ok(owners);
            }
            let pk = change
                .keys()
                .and_then(|keys| keys.get("pk"))
                .and_then(|pk| pk.as_s().ok());
            owners.extend(pk.and_then(|pk| sma_store_dynamodb::owner_of_partition(pk)));
        }
        next = page.next_shard_iterator().map(str::to_owned);
    }
    Ok(owners)
}

/// Sequence numbers are decimal strings of up to 40 digits: compared as numbers.
fn sequence(text: &str) -> anyhow::Result<u128> {
    text.parse()
        .with_context(|| format!("{text:?} is not a stream sequence number"))
}

fn sdk(e: impl std::error::Error, call: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{call}: {}",
        aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)
    )
}
