//! Every setting, read once through one typed struct. A missing or malformed value
//! fails at start with a message that names the setting.

use std::path::PathBuf;

use env::Env;

mod env;

/// The text of a referrer spam list file (Matomo's `spammers.txt` format),
/// read at start; shown by its size, not its thousands of hosts.
#[derive(Clone, PartialEq, Default)]
pub struct SpamList(pub String);

impl std::fmt::Debug for SpamList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpamList({} lines)", self.0.lines().count())
    }
}

/// Rule models named in a setting, each once, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct TraitModels(pub Vec<sma_attribution::Model>);

impl Default for TraitModels {
    fn default() -> TraitModels {
        use sma_attribution::Model;
        TraitModels(vec![
            Model::Linear,
            Model::TimeDecay,
            Model::Position,
            Model::WShaped,
        ])
    }
}

impl std::str::FromStr for TraitModels {
    type Err = String;

    fn from_str(s: &str) -> Result<TraitModels, String> {
        let mut models = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let model: sma_attribution::Model = name.parse().map_err(|e| format!("{e}"))?;
            if !models.contains(&model) {
                models.push(model);
            }
        }
        Ok(TraitModels(models))
    }
}

/// The settings of sma, from the environment (and `.env` locally). Names are the
/// environment variable names; see `.env.example` for each one's meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub stage: String,
    pub region: String,
    pub service_name: String,
    pub events_table: String,
    pub user_map_table: String,
    pub attribution_table: String,
    pub analytics_write_key: Option<String>,
    pub source_identification_event: String,
    /// The track event sent per credited touch of a conversion.
    pub credit_event: String,
    pub segment_endpoint: String,
    pub segment_shared_secret: Option<String>,
    pub api_token: Option<String>,
    /// Bearer token of `/segment/*`, which sends data out; `API_TOKEN` guards
    /// those routes too while it is not set.
    pub feed_token: Option<String>,
    pub ingest_write_keys: Vec<String>,
    pub conversion_events: Vec<String>,
    /// Track events that are conversions of the account they name (a deal
    /// won), credited over the journey of all its members.
    pub account_conversion_events: Vec<String>,
    pub internal_domains: Vec<String>,
    pub referral_exclusions: Vec<String>,
    pub session_timeout_minutes: u32,
    pub lookback_days: u32,
    pub time_decay_half_life_days: f64,
    pub lead_event: Option<String>,
    pub opportunity_event: Option<String>,
    /// The milestone of a deal won: the full-path model's fourth anchor.
    pub won_event: Option<String>,
    pub realtime_feed: bool,
    /// Whether page views of bots (by `context.userAgent`) are kept from
    /// starting touches.
    pub bot_filter: bool,
    /// Referrer hosts whose page views never start a touch.
    pub referrer_spam_list: SpamList,
    /// The rule models whose top channel and credited value go into `identify`.
    pub trait_models: TraitModels,
    pub host: String,
    pub port: u16,
    pub sma_db: PathBuf,
    pub dynamodb_endpoint: Option<String>,
    /// Where the CLI keeps its data (`sma serve` always uses the embedded store).
    pub store: StoreKind,
    pub max_body_bytes: usize,
    pub max_batch_messages: usize,
    pub request_timeout_seconds: u32,
    /// Bytes all bodies of senders not yet authenticated may hold together.
    pub max_unauthenticated_bytes: usize,
    pub body_read_timeout_seconds: u32,
    /// `sma serve`: a request head must be in this long after its first byte.
    pub header_read_timeout_seconds: u32,
    /// `sma serve`: a connection waiting this long for its next request is closed.
    pub idle_timeout_seconds: u32,
    /// `sma serve`: connections open at once.
    pub max_connections: usize,
    /// Days raw events are kept (0: forever); what they derived stays.
    pub events_ttl_days: u32,
    /// Resamples behind the intervals of data-driven reports (0: no interval).
    pub bootstrap_resamples: u32,
    /// The currency of spend, ROAS and CAC (an ISO 4217 code): spend in
    /// another is converted at the rate imported with it.
    pub reporting_currency: String,
}

/// A setting that is present but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {name}: {problem} (got {value:?})")]
pub struct SettingError {
    pub name: &'static str,
    pub value: String,
    pub problem: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, SettingError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests). Empty
    /// values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingError> {
        let env = Env(&lookup);
        Settings {
            stage: env.text("STAGE", "local"),
            region: env.text("REGION", "us-east-1"),
            service_name: env.text("SERVICE_NAME", "sma"),
            events_table: env.text("EVENTS_TABLE", "sma-events"),
            user_map_table: env.text("USER_MAP_TABLE", "sma-user-map"),
            attribution_table: env.text("ATTRIBUTION_TABLE", "sma-attribution"),
            analytics_write_key: env.optional("ANALYTICS_WRITE_KEY"),
            source_identification_event: env
                .text("ANALYTICS_SOURCE_IDENTIFICATION_EVENT", "Source Identified"),
            credit_event: env.text("ANALYTICS_CREDIT_EVENT", "Conversion Attributed"),
            segment_endpoint: env.endpoint("SEGMENT_ENDPOINT")?,
            segment_shared_secret: env.optional("SEGMENT_SHARED_SECRET"),
            api_token: env.optional("API_TOKEN"),
            feed_token: env.optional("FEED_TOKEN"),
            ingest_write_keys: env.list("INGEST_WRITE_KEYS", ""),
            conversion_events: env.list(
                "CONVERSION_EVENTS",
                "Signed Up,Demo Request,Order Completed",
            ),
            account_conversion_events: env.list("ACCOUNT_CONVERSION_EVENTS", ""),
            internal_domains: env.list("INTERNAL_DOMAINS", ""),
            referral_exclusions: env.list("REFERRAL_EXCLUSIONS", ""),
            session_timeout_minutes: env.positive("SESSION_TIMEOUT_MINUTES", 30)?,
            lookback_days: env.positive("LOOKBACK_DAYS", 90)?,
            time_decay_half_life_days: env.positive_f64("TIME_DECAY_HALF_LIFE_DAYS", 7.0)?,
            lead_event: env.optional("LEAD_EVENT"),
            opportunity_event: env.optional("OPPORTUNITY_EVENT"),
            won_event: env.optional("WON_EVENT"),
            realtime_feed: env.boolean("REALTIME_FEED", false)?,
            bot_filter: env.boolean("BOT_FILTER", true)?,
            referrer_spam_list: SpamList(env.file_text("REFERRER_SPAM_LIST")?.unwrap_or_default()),
            trait_models: env.parsed(
                "ANALYTICS_TRAIT_MODELS",
                TraitModels::default(),
                "comma-separated rule models (first, last, linear …)",
                |_| true,
            )?,
            host: env.text("HOST", "127.0.0.1"),
            port: env.number("PORT", 3000)?,
            sma_db: PathBuf::from(env.text("SMA_DB", "./sma.db")),
            dynamodb_endpoint: env.optional("DYNAMODB_ENDPOINT"),
            store: env.parsed("STORE", StoreKind::Sqlite, "sqlite or dynamodb", |_| true)?,
            max_body_bytes: env.positive("MAX_BODY_BYTES", 5 * 1024 * 1024)?,
            max_batch_messages: env.positive("MAX_BATCH_MESSAGES", 10_000)?,
            request_timeout_seconds: env.positive("REQUEST_TIMEOUT_SECONDS", 30)?,
            max_unauthenticated_bytes: env.positive("MAX_UNAUTHENTICATED_BYTES", 64 << 20)?,
            body_read_timeout_seconds: env.positive("BODY_READ_TIMEOUT_SECONDS", 10)?,
            header_read_timeout_seconds: env.positive("HEADER_READ_TIMEOUT_SECONDS", 10)?,
            idle_timeout_seconds: env.positive("IDLE_TIMEOUT_SECONDS", 60)?,
            max_connections: env.positive("MAX_CONNECTIONS", 512)?,
            events_ttl_days: env.number("EVENTS_TTL_DAYS", 0)?,
            bootstrap_resamples: env.number("BOOTSTRAP_RESAMPLES", 200)?,
            reporting_currency: env.parsed(
                "REPORTING_CURRENCY",
                "USD".to_owned(),
                "a three-letter currency code in capitals (ISO 4217), such as USD or EUR",
                |c: &String| crate::spend::is_currency(c),
            )?,
        }
        .checked()
    }

    /// Rules between settings.
    fn checked(self) -> Result<Settings, SettingError> {
        if self.max_unauthenticated_bytes < self.max_body_bytes {
            return Err(SettingError {
                name: "MAX_UNAUTHENTICATED_BYTES",
                value: self.max_unauthenticated_bytes.to_string(),
                problem:
                    "must be at least MAX_BODY_BYTES, or a signed body of that size never fits"
                        .into(),
            });
        }
        Ok(self)
    }

    /// Settings with every default, for tests and tools.
    pub fn defaults() -> Settings {
        Settings::from_lookup(|_| None).expect("defaults are valid")
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::defaults();
        assert_eq!(s.port, 3000);
        assert_eq!(s.sma_db, PathBuf::from("./sma.db"));
        assert_eq!(
            s.conversion_events,
            ["Signed Up", "Demo Request", "Order Completed"]
        );
        assert_eq!(s.session_timeout_minutes, 30);
        assert_eq!(s.lookback_days, 90);
        assert_eq!(s.time_decay_half_life_days, 7.0);
        assert_eq!(s.segment_endpoint, "https://api.segment.io");
        assert_eq!(s.source_identification_event, "Source Identified");
        assert_eq!(s.credit_event, "Conversion Attributed");
        assert!(!s.realtime_feed);
        assert_eq!(s.analytics_write_key, None);
    }

    #[test]
    fn values_are_read_and_trimmed() {
        let s = with(&[
            ("PORT", " 8080 "),
            ("CONVERSION_EVENTS", "Trial Started, Paid ,,"),
            ("SEGMENT_ENDPOINT", "eu"),
            ("REALTIME_FEED", "yes"),
            ("ANALYTICS_WRITE_KEY", ""),
            ("SMA_DB", "/var/lib/sma/sma.db"),
        ])
        .unwrap();
        assert_eq!(s.port, 8080);
        assert_eq!(s.conversion_events, ["Trial Started", "Paid"]);
        assert_eq!(s.segment_endpoint, "https://events.eu1.segmentapis.com");
        assert!(s.realtime_feed);
        assert_eq!(s.analytics_write_key, None, "empty counts as unset");
        let s = with(&[("SEGMENT_ENDPOINT", "http://127.0.0.1:9999/")]).unwrap();
        assert_eq!(s.segment_endpoint, "http://127.0.0.1:9999");
    }

    #[test]
    fn a_bad_value_names_its_setting() {
        for (name, value) in [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("SESSION_TIMEOUT_MINUTES", "0"),
            ("LOOKBACK_DAYS", "-3"),
            ("TIME_DECAY_HALF_LIFE_DAYS", "NaN"),
            ("REALTIME_FEED", "maybe"),
            ("SEGMENT_ENDPOINT", "ftp://x"),
            ("MAX_BODY_BYTES", "lots"),
            ("MAX_UNAUTHENTICATED_BYTES", "1000"),
            ("MAX_CONNECTIONS", "0"),
            ("BOT_FILTER", "sometimes"),
            ("REFERRER_SPAM_LIST", "/no/such/spammers.txt"),
            ("REPORTING_CURRENCY", "dollars"),
        ] {
            let error = with(&[(name, value)]).unwrap_err();
            assert_eq!(error.name, name);
            assert!(
                error.to_string().starts_with(&format!("setting {name}:")),
                "{error}"
            );
        }
    }
}
