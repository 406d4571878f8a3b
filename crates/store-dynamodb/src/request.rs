//! Sending requests: error mapping, bounded backoff, and the four request shapes
//! that need more than one call — paginated queries, batch reads and batch
//! writes with unprocessed items, and transactions cancelled by contention.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    KeysAndAttributes, ReturnConsumedCapacity, TransactWriteItem, WriteRequest,
};

use super::DynamoStore;
use super::keys::{self, Item, get_s};
use sma_store::StoreError;

/// BatchWriteItem takes at most 25 requests a call.
const BATCH_WRITE_LIMIT: usize = 25;
/// BatchGetItem takes at most 100 keys a call.
const BATCH_GET_LIMIT: usize = 100;

/// Items read by key: (`pk`, `sk`) -> item.
pub(super) type Found = HashMap<(String, String), Item>;

/// The (`pk`, `sk`) of an item or key.
pub(super) fn key_of(item: &Item) -> Result<(String, String), StoreError> {
    Ok((get_s(item, "pk")?.to_owned(), get_s(item, "sk")?.to_owned()))
}

/// A request the SDK refused to build: a bug here, not a failure of DynamoDB.
pub(super) fn build_error(error: BuildError) -> StoreError {
    StoreError::Backend(format!("DynamoDB request: {error}"))
}

/// Error codes DynamoDB uses for throttling, in errors and in transaction
/// cancellation reasons. Worth retrying.
const THROTTLING: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ProvisionedThroughputExceeded",
    "ThrottlingException",
    "ThrottlingError",
    "RequestLimitExceeded",
];

/// Bounded exponential backoff with full jitter: up to `ATTEMPTS` waits, the
/// n-th a random time below `BASE * 2^n`, capped at `CAP`.
pub(super) struct Backoff {
    attempt: u32,
}

impl Backoff {
    const ATTEMPTS: u32 = 8;
    const BASE: Duration = Duration::from_millis(25);
    const CAP: Duration = Duration::from_secs(2);

    pub(super) fn new() -> Backoff {
        Backoff { attempt: 0 }
    }

    /// The longest the next wait may be, or `None` when the attempts are spent.
    fn ceiling(&self) -> Option<Duration> {
        (self.attempt < Self::ATTEMPTS)
            .then(|| Self::BASE.saturating_mul(1 << self.attempt).min(Self::CAP))
    }

    /// Waits before the next attempt; false when the attempts are spent.
    pub(super) async fn wait(&mut self) -> bool {
        let Some(ceiling) = self.ceiling() else {
            return false;
        };
        self.attempt += 1;
        tokio::time::sleep(ceiling.mul_f64(jitter())).await;
        true
    }
}

/// A number in [0, 1), different on every call: enough randomness to spread
/// retries of concurrent writers apart, without a random-number crate.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// What an SDK failure means to the caller: throttling, timeouts, connection
/// failures and 5xx answers are worth retrying later, the rest is not.
pub(super) fn sdk_error<E>(operation: &str, error: SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(e) => {
            error.code().is_some_and(is_throttling) || e.raw().status().is_server_error()
        }
        _ => false,
    };
    let text = format!("DynamoDB {operation}: {}", DisplayErrorContext(&error));
    if transient {
        StoreError::Unavailable(text)
    } else {
        StoreError::Backend(text)
    }
}

fn is_throttling(code: &str) -> bool {
    THROTTLING.contains(&code)
}

/// Why a transaction did not commit.
pub(super) enum TransactError {
    /// An item's condition failed.
    Condition,
    Store(StoreError),
}

impl From<StoreError> for TransactError {
    fn from(e: StoreError) -> TransactError {
        TransactError::Store(e)
    }
}

impl DynamoStore {
    /// Runs a query to its last page.
    pub(super) async fn query_all(
        &self,
        query: QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        query
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| sdk_error("Query", e))
    }

    /// Every item of one partition of `table`, in sort-key order.
    pub(super) async fn partition(
        &self,
        table: &str,
        pk: &str,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", keys::s(pk))
            .consistent_read(consistent);
        self.query_all(query).await
    }

    /// Reads the items of `keys` from `table` (a key asked twice is read once),
    /// 100 keys a call, asking again for unprocessed keys with backoff.
    pub(super) async fn batch_get(
        &self,
        table: &str,
        keys: impl IntoIterator<Item = Item>,
        consistent: bool,
    ) -> Result<Found, StoreError> {
        let mut unique: HashMap<(String, String), Item> = HashMap::new();
        for key in keys {
            unique.insert(key_of(&key)?, key);
        }
        let unique: Vec<Item> = unique.into_values().collect();
        let mut found = Found::new();
        for chunk in unique.chunks(BATCH_GET_LIMIT) {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(chunk.to_vec()))
                .consistent_read(consistent)
                .build()
                .map_err(build_error)?;
            let mut pending = HashMap::from([(table.to_owned(), request)]);
            let mut backoff = Backoff::new();
            loop {
                let out = self
                    .client()
                    .batch_get_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchGetItem", e))?;
                let items = out.responses.unwrap_or_default().into_values().flatten();
                for item in items {
                    found.insert(key_of(&item)?, item);
                }
                pending = out.unprocessed_keys.unwrap_or_default();
                pending.retain(|_, k| !k.keys().is_empty());
                if pending.is_empty() {
                    break;
                }
                if !backoff.wait().await {
                    return Err(StoreError::Unavailable(format!(
                        "DynamoDB BatchGetItem: keys of {table} still unprocessed after retries"
                    )));
                }
            }
        }
        Ok(found)
    }

    /// Writes `requests` (puts and deletes of distinct keys) into `table`, 25 a
    /// call, resending unprocessed items with backoff.
    pub(super) async fn batch_write(
        &self,
        table: &str,
        requests: Vec<WriteRequest>,
    ) -> Result<(), StoreError> {
        for chunk in requests.chunks(BATCH_WRITE_LIMIT) {
            let mut pending = HashMap::from([(table.to_owned(), chunk.to_vec())]);
            let mut backoff = Backoff::new();
            loop {
                let out = self
                    .client()
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchWriteItem", e))?;
                self.charge(out.consumed_capacity());
                pending = out.unprocessed_items.unwrap_or_default();
                pending.retain(|_, items| !items.is_empty());
                if pending.is_empty() {
                    break;
                }
                if !backoff.wait().await {
                    let left: usize = pending.values().map(Vec::len).sum();
                    return Err(StoreError::Unavailable(format!(
                        "DynamoDB BatchWriteItem: {left} items of {table} still unprocessed after retries"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Commits `items` as one transaction. Cancellations caused by contention
    /// (a concurrent transaction on an item, throttling) are retried with
    /// backoff; a failed condition is the caller's to interpret.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), TransactError> {
        let mut backoff = Backoff::new();
        loop {
            let result = self
                .client()
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            let error = match result {
                Ok(out) => {
                    self.charge(out.consumed_capacity());
                    return Ok(());
                }
                Err(e) => e,
            };
            let reasons = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                    c.cancellation_reasons().to_vec()
                }
                // The SDK's retry of this same request is still running.
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => Vec::new(),
                _ => return Err(sdk_error("TransactWriteItems", error).into()),
            };
            let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or("None")).collect();
            let condition_failed = codes.contains(&"ConditionalCheckFailed");
            let contention = codes
                .iter()
                .all(|&c| c == "None" || c == "TransactionConflict" || is_throttling(c));
            if condition_failed {
                return Err(TransactError::Condition);
            }
            if !contention {
                return Err(sdk_error("TransactWriteItems", error).into());
            }
            if !backoff.wait().await {
                return Err(StoreError::Unavailable(format!(
                    "DynamoDB TransactWriteItems: still contended after retries: {}",
                    DisplayErrorContext(&error)
                ))
                .into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_ends() {
        let mut b = Backoff::new();
        let mut ceilings = Vec::new();
        while let Some(c) = b.ceiling() {
            ceilings.push(c);
            b.attempt += 1;
        }
        assert_eq!(ceilings.len() as u32, Backoff::ATTEMPTS);
        assert_eq!(ceilings[0], Duration::from_millis(25));
        assert_eq!(ceilings[1], Duration::from_millis(50));
        assert!(ceilings.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*ceilings.last().unwrap(), Backoff::CAP);
        let total: Duration = ceilings.iter().sum();
        assert!(total < Duration::from_secs(10), "bounded: {total:?}");
    }

    #[test]
    fn throttling_and_server_errors_are_worth_retrying_others_not() {
        use aws_sdk_dynamodb::config::http::HttpResponse;
        use aws_sdk_dynamodb::error::ErrorMetadata;
        use aws_sdk_dynamodb::operation::put_item::PutItemError;
        let failure = |code: &str, status: u16| {
            let error = PutItemError::generic(ErrorMetadata::builder().code(code).build());
            let response = HttpResponse::new(status.try_into().unwrap(), "".into());
            sdk_error("PutItem", SdkError::service_error(error, response))
        };
        for code in [
            "ThrottlingException",
            "ProvisionedThroughputExceededException",
            "RequestLimitExceeded",
        ] {
            assert!(failure(code, 400).is_retryable(), "{code}");
        }
        assert!(failure("InternalServerError", 500).is_retryable());
        let missing = failure("ResourceNotFoundException", 400);
        assert!(!missing.is_retryable());
        assert!(
            missing.to_string().contains("ResourceNotFoundException"),
            "{missing}"
        );
        assert!(!failure("ValidationException", 400).is_retryable());
    }

    #[test]
    fn jitter_is_a_fraction() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
