//! A table's real stream records, read from DynamoDB Local's Streams API
//! (ListStreams, DescribeStream, GetShardIterator TRIM_HORIZON, GetRecords), in
//! the JSON shape Lambda delivers them to a function, and the template's event
//! filters (DynamoDB Local has no event source mappings to apply them).

use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::{Client, Config};
use serde_json::{Value, json};

fn client() -> Client {
    let credentials = Credentials::new("fakeMyKeyId", "fakeSecretAccessKey", None, None, "tests");
    let config = Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(super::endpoint())
        .credentials_provider(credentials)
        .build();
    Client::from_conf(config)
}

/// Every record of `table`'s stream so far, in sequence-number order, as the
/// records of a Lambda DynamoDB event.
pub async fn records(table: &str) -> Vec<Value> {
    let client = client();
    let streams = client
        .list_streams()
        .table_name(table)
        .send()
        .await
        .expect("ListStreams");
    let arn = streams
        .streams()
        .first()
        .and_then(|s| s.stream_arn())
        .unwrap_or_else(|| panic!("{table} has no stream"))
        .to_owned();
    let description = client
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .expect("DescribeStream");
    let shards = description
        .stream_description()
        .map(|d| d.shards().to_vec())
        .unwrap_or_default();
    let mut out: Vec<(String, Value)> = Vec::new();
    for shard in shards {
        let iterator = client
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id().expect("a shard id"))
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator");
        let mut next = iterator.shard_iterator().map(str::to_owned);
        // An open shard always hands out a next iterator: read until a page is empty.
        while let Some(iterator) = next {
            let page = client
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await
                .expect("GetRecords");
            if page.records().is_empty() {
                break;
            }
            for record in page.records() {
                let sequence = record
                    .dynamodb()
                    .and_then(|d| d.sequence_number())
                    .unwrap_or_default();
                out.push((sequence.to_owned(), lambda_record(record, &arn)));
            }
            next = page.next_shard_iterator().map(str::to_owned);
        }
    }
    // Sequence numbers are decimal strings of varying length.
    out.sort_by(|a, b| (a.0.len(), &a.0).cmp(&(b.0.len(), &b.0)));
    out.into_iter().map(|(_, record)| record).collect()
}

/// One stream record as Lambda puts it into the `Records` of an event.
fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let change = record.dynamodb().expect("a stream record has its change");
    let image = |item: Option<&std::collections::HashMap<String, _>>| {
        item.map(|i| serde_json::to_value(serde_dynamo::Item::from(i.clone())).unwrap())
    };
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": change.approximate_creation_date_time().map(|t| t.secs()),
        "Keys": image(change.keys.as_ref()),
        "SequenceNumber": change.sequence_number(),
        "SizeBytes": change.size_bytes(),
        "StreamViewType": change.stream_view_type().map(|v| v.as_str()),
    });
    if let Some(new_image) = image(change.new_image.as_ref()) {
        dynamodb["NewImage"] = new_image;
    }
    if let Some(old_image) = image(change.old_image.as_ref()) {
        dynamodb["OldImage"] = old_image;
    }
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventVersion": record.event_version(),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region(),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

/// A Lambda DynamoDB event carrying `records`.
pub fn event(records: &[&Value]) -> Value {
    json!({ "Records": records })
}

fn inserted(record: &Value) -> bool {
    record["eventName"] == "INSERT"
}

fn new_image_s<'a>(record: &'a Value, attribute: &str) -> Option<&'a str> {
    record["dynamodb"]["NewImage"][attribute]["S"].as_str()
}

// The FilterCriteria of template.yaml, one function per event source mapping.

/// IdentityMapFunction: INSERTs of identify, alias and group (account
/// memberships), and of events with both ids.
pub fn identity_map_filter(record: &Value) -> bool {
    inserted(record)
        && (matches!(
            new_image_s(record, "type"),
            Some("identify" | "alias" | "group")
        ) || record["dynamodb"]["NewImage"]["has_both_ids"]["BOOL"] == json!(true))
}

/// TouchesFunction: INSERTs of event items (every message type).
pub fn touches_filter(record: &Value) -> bool {
    inserted(record)
        && matches!(
            new_image_s(record, "type"),
            Some("page" | "screen" | "track" | "identify" | "alias" | "group")
        )
}

fn key_starts(record: &Value, key: &str, prefix: &str) -> bool {
    record["dynamodb"]["Keys"][key]["S"]
        .as_str()
        .is_some_and(|k| k.starts_with(prefix))
}

/// SegmentFeedFunction's AttributionStream: INSERTs of touches, INSERTs and
/// MODIFYs of conversions' credits.
pub fn realtime_feed_filter(record: &Value) -> bool {
    (inserted(record) && key_starts(record, "sk", "touch#"))
        || (matches!(record["eventName"].as_str(), Some("INSERT" | "MODIFY"))
            && key_starts(record, "pk", "conv#"))
}

/// SegmentFeedFunction's UserMapStream: a device-of-user item inserted (a
/// link) or removed (a takeover).
pub fn user_map_feed_filter(record: &Value) -> bool {
    matches!(record["eventName"].as_str(), Some("INSERT" | "REMOVE"))
        && key_starts(record, "pk", "user#")
        && key_starts(record, "sk", "anon#")
}

/// The sequence number of a record in the Lambda shape.
pub fn sequence_number(record: &Value) -> &str {
    record["dynamodb"]["SequenceNumber"]
        .as_str()
        .expect("SequenceNumber")
}
