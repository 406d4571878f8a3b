//! Every setting, read once into typed groups by concern. A missing or malformed
//! value fails at start with a message that names the setting.
//!
//! A field is named after its environment variable (`PORT` is `http.port`),
//! except `STORE`, which is `store.kind`. Each group reads its own variables,
//! and docs/settings.md has a section per group.

mod auth;
mod env;
mod feed;
mod http;
mod reports;
mod rules;
mod store;

pub use auth::AuthSettings;
pub use feed::FeedSettings;
pub use http::HttpSettings;
pub use reports::ReportSettings;
pub use rules::RuleSettings;
pub use store::{StoreKind, StoreSettings};

use env::Env;

/// Settings that were renamed: (name, earlier name). The earlier name is still
/// read while the setting is unset, with a warning, so a deployment keeps
/// working until it is renamed there too.
pub const RENAMED: &[(&str, &str)] = &[("INTAKE_WRITE_KEYS", "INGEST_WRITE_KEYS")];

/// The settings of sma, from the environment (and `.env` locally); see
/// `.env.example` for each one's meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub http: HttpSettings,
    pub auth: AuthSettings,
    pub feed: FeedSettings,
    pub rules: RuleSettings,
    pub reports: ReportSettings,
    pub store: StoreSettings,
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
        Ok(Settings {
            http: HttpSettings::read(&env)?,
            auth: AuthSettings::read(&env),
            feed: FeedSettings::read(&env)?,
            rules: RuleSettings::read(&env)?,
            reports: ReportSettings::read(&env)?,
            store: StoreSettings::read(&env)?,
        })
    }

    /// Settings with every default, for tests and tools.
    pub fn defaults() -> Settings {
        Settings::from_lookup(|_| None).expect("defaults are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn intake_write_keys_are_read_under_their_earlier_name_while_unset() {
        let keys = |pairs: &[(&str, &str)]| with(pairs).unwrap().auth.intake_write_keys;
        assert_eq!(keys(&[("INGEST_WRITE_KEYS", "a, b")]), ["a", "b"]);
        assert_eq!(
            keys(&[("INTAKE_WRITE_KEYS", "c"), ("INGEST_WRITE_KEYS", "a")]),
            ["c"]
        );
        assert!(keys(&[]).is_empty());
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::defaults();
        assert_eq!(s.http.port, 3000);
        assert_eq!(s.store.sma_db, PathBuf::from("./sma.db"));
        assert_eq!(
            s.rules.conversion_events,
            ["Signed Up", "Demo Request", "Order Completed"]
        );
        assert_eq!(s.rules.session_timeout_minutes, 30);
        assert_eq!(s.rules.lookback_days, 90);
        assert_eq!(s.rules.time_decay_half_life_days, 7.0);
        assert_eq!(s.feed.segment_endpoint, "https://api.segment.io");
        assert_eq!(s.feed.source_identification_event, "Source Identified");
        assert_eq!(s.feed.credit_event, "Conversion Attributed");
        assert!(!s.feed.realtime_feed);
        assert_eq!(s.feed.analytics_write_key, None);
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
        assert_eq!(s.http.port, 8080);
        assert_eq!(s.rules.conversion_events, ["Trial Started", "Paid"]);
        assert_eq!(
            s.feed.segment_endpoint,
            "https://events.eu1.segmentapis.com"
        );
        assert!(s.feed.realtime_feed);
        assert_eq!(s.feed.analytics_write_key, None, "empty counts as unset");
        let s = with(&[("SEGMENT_ENDPOINT", "http://127.0.0.1:9999/")]).unwrap();
        assert_eq!(s.feed.segment_endpoint, "http://127.0.0.1:9999");
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
