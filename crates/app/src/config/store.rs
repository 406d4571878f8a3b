//! The store: which adapter the command line uses, where each one keeps its
//! data and how long raw events stay.

use std::path::PathBuf;

use super::SettingError;
use super::env::Env;

/// Where sma keeps its data: the embedded SQLite file, or the DynamoDB tables
/// of the AWS shape.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSettings {
    /// Where the CLI keeps its data (`sma serve` always uses the embedded
    /// store, the Lambda functions always DynamoDB).
    pub kind: StoreKind,
    /// The embedded store's SQLite file.
    pub sma_db: PathBuf,
    /// Days raw events are kept (0: forever); what they derived stays.
    pub events_ttl_days: u32,
    /// The AWS region of the tables.
    pub region: String,
    /// The DynamoDB table of raw events.
    pub events_table: String,
    /// The DynamoDB table of the identity map.
    pub user_map_table: String,
    /// The DynamoDB table of session states, touches and the ledger.
    pub attribution_table: String,
    /// A local DynamoDB (DynamoDB Local) instead of the region's.
    pub dynamodb_endpoint: Option<String>,
    /// The deployment's stage and service name: `template.yaml` builds the
    /// table names from them and passes those as the `*_TABLE` settings,
    /// which are what sma goes by.
    pub stage: String,
    pub service_name: String,
}

impl StoreSettings {
    pub(super) fn read(env: &Env) -> Result<StoreSettings, SettingError> {
        Ok(StoreSettings {
            kind: env.parsed("STORE", StoreKind::Sqlite, "sqlite or dynamodb", |_| true)?,
            sma_db: PathBuf::from(env.text("SMA_DB", "./sma.db")),
            events_ttl_days: env.number("EVENTS_TTL_DAYS", 0)?,
            region: env.text("REGION", "us-east-1"),
            events_table: env.text("EVENTS_TABLE", "sma-events"),
            user_map_table: env.text("USER_MAP_TABLE", "sma-user-map"),
            attribution_table: env.text("ATTRIBUTION_TABLE", "sma-attribution"),
            dynamodb_endpoint: env.optional("DYNAMODB_ENDPOINT"),
            stage: env.text("STAGE", "local"),
            service_name: env.text("SERVICE_NAME", "sma"),
        })
    }

    /// The DynamoDB tables: events, user map, attribution (the order
    /// `sma_store_dynamodb::DynamoStore` takes them in).
    pub fn dynamodb_tables(&self) -> (String, String, String) {
        (
            self.events_table.clone(),
            self.user_map_table.clone(),
            self.attribution_table.clone(),
        )
    }
}

/// Which store adapter the command line uses (`STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded SQLite file at `SMA_DB`.
    Sqlite,
    /// The DynamoDB tables `EVENTS_TABLE`, `USER_MAP_TABLE`, `ATTRIBUTION_TABLE`
    /// (in `REGION`, or at `DYNAMODB_ENDPOINT`).
    Dynamodb,
}

impl std::str::FromStr for StoreKind {
    type Err = ();

    fn from_str(s: &str) -> Result<StoreKind, ()> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(StoreKind::Sqlite),
            "dynamodb" => Ok(StoreKind::Dynamodb),
            _ => Err(()),
        }
    }
}
