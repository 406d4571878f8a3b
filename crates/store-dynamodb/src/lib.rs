//! The DynamoDB adapter (the AWS shape): three tables, EVENTS, USER_MAP and
//! ATTRIBUTION, each keyed by `pk`/`sk` strings, as `docs/dynamodb.md` describes
//! item by item.
//!
//! Reads are `GetItem` and `Query` only, never `Scan`. Writes that must happen once
//! are conditional; retries of throttled requests are the SDK's (see
//! [`DynamoStore::from_env`]), and this adapter adds the retries the SDK cannot
//! see: cancelled transactions and unprocessed batch items.
//!
//! Erasing a user deletes their items in all three tables, found the same
//! way, and leaves in EVENTS a tombstone of each erased message, keyed by
//! its digest alone (see `erasure.rs`).

mod accounts;
mod activity;
mod erasure;
mod events;
mod identity;
mod keys;
mod ledger;
mod markers;
mod request;
mod spend;
mod states;
mod tables;
mod totals;
mod touches;
mod write;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls;

// The stream consumers' entry points: rebuild a message, a touch, a
// conversion's credits or a user's device from a record's image or keys.
pub use events::message_from_item;
pub use identity::device_of_user_from_keys;
pub use keys::owner_of_partition;
pub use ledger::conversion_ledger_from_item;

/// The AWS SDK configuration sma's clients share: `region`, credentials from the
/// environment's default chain, rustls with ring, and retries with a short
/// backoff. `endpoint` points every client built from it elsewhere (DynamoDB
/// Local, a test's stand-in).
pub async fn sdk_config(region: String, endpoint: Option<String>) -> aws_config::SdkConfig {
    let retry = RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(2));
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .http_client(https)
        .retry_config(retry);
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}
pub use touches::touch_from_item;

/// Requests one call sends at a time (one Lambda invocation's share of the
/// table's throughput; the SDK client multiplexes them over its connections).
const CONCURRENT_REQUESTS: usize = 8;

/// The names of the three tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// Raw events, the activity index, the digests of erased messages
    /// (EVENTS_TABLE).
    pub events: String,
    /// Identity claims and links (USER_MAP_TABLE).
    pub user_map: String,
    /// Device states and touches, markers, the ledger and its totals
    /// (ATTRIBUTION_TABLE).
    pub attribution: String,
}

impl Tables {
    /// The names `template.yaml` gives the tables of a stack:
    /// `<service>-<stage>-events`, `-user-map`, `-attribution`.
    pub fn for_stack(service: &str, stage: &str) -> Tables {
        Tables {
            events: format!("{service}-{stage}-events"),
            user_map: format!("{service}-{stage}-user-map"),
            attribution: format!("{service}-{stage}-attribution"),
        }
    }
}

/// `(events, user_map, attribution)`, in that order.
impl<E: Into<String>, U: Into<String>, A: Into<String>> From<(E, U, A)> for Tables {
    fn from((events, user_map, attribution): (E, U, A)) -> Tables {
        Tables {
            events: events.into(),
            user_map: user_map.into(),
            attribution: attribution.into(),
        }
    }
}

/// The DynamoDB store: cheap to clone, all clones share one SDK client.
#[derive(Clone)]
pub struct DynamoStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    tables: Tables,
    /// Raw event items expire this long after they were stored (the table's TTL
    /// attribute `expires_at`); `None` keeps them.
    events_ttl: Option<chrono::Duration>,
    /// The activity index items this process wrote today.
    indexed: Mutex<activity::Indexed>,
    /// Write capacity consumed so far, in thousandths of a unit.
    written: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("tables", &self.inner.tables)
            .field("events_ttl", &self.inner.events_ttl)
            .finish()
    }
}

impl DynamoStore {
    /// A store on `tables`, using `client` as configured by the caller (its retry
    /// configuration governs retries of throttled requests).
    pub fn new(client: Client, tables: impl Into<Tables>) -> DynamoStore {
        DynamoStore {
            inner: Arc::new(Inner {
                client,
                tables: tables.into(),
                events_ttl: None,
                indexed: Mutex::default(),
                written: Default::default(),
            }),
        }
    }

    /// A store whose client is built once from the default AWS configuration
    /// chain (environment, profile, container/instance role) for `region`; with
    /// `endpoint` (DYNAMODB_ENDPOINT) it talks to that URL instead of AWS, e.g.
    /// DynamoDB Local.
    ///
    /// Throttled requests (ProvisionedThroughputExceeded, ThrottlingException,
    /// RequestLimitExceeded) and transient failures are retried by the SDK, up to
    /// 5 attempts with jittered exponential backoff capped at 2 s; when they are
    /// exhausted the call fails with [`sma_store::StoreError::Unavailable`].
    pub async fn from_env(
        region: impl Into<String>,
        endpoint: Option<String>,
        tables: impl Into<Tables>,
    ) -> DynamoStore {
        let config = sdk_config(region.into(), endpoint).await;
        DynamoStore::new(Client::new(&config), tables)
    }

    /// Raw events, their markers and index items written by this store expire
    /// `days` days after they are stored (EVENTS_TTL_DAYS; 0 keeps them).
    pub fn with_events_ttl_days(self, days: u32) -> DynamoStore {
        DynamoStore {
            inner: Arc::new(Inner {
                client: self.inner.client.clone(),
                tables: self.inner.tables.clone(),
                events_ttl: (days > 0).then(|| chrono::Duration::days(i64::from(days))),
                indexed: Mutex::default(),
                written: Default::default(),
            }),
        }
    }

    pub fn tables(&self) -> &Tables {
        &self.inner.tables
    }

    /// The SDK client, e.g. for a caller that reads the tables' streams.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The write capacity units this store's successful writes have consumed,
    /// as DynamoDB reports them: what a test or a benchmark states per event.
    /// (A conditional write that fails consumes units too; DynamoDB does not
    /// report them with the error.)
    pub fn write_units(&self) -> f64 {
        self.inner
            .written
            .load(std::sync::atomic::Ordering::Relaxed) as f64
            / 1000.0
    }

    pub(crate) fn charge<'a>(
        &self,
        consumed: impl IntoIterator<Item = &'a aws_sdk_dynamodb::types::ConsumedCapacity>,
    ) {
        let units: f64 = consumed
            .into_iter()
            .filter_map(|c| c.capacity_units())
            .sum();
        let milli = (units * 1000.0).round() as u64;
        self.inner
            .written
            .fetch_add(milli, std::sync::atomic::Ordering::Relaxed);
    }
}
