//! How reports figure: their intervals and their currency.

use super::SettingError;
use super::env::Env;

/// The settings of the report queries.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// Resamples behind the intervals of data-driven reports (0: no interval).
    pub bootstrap_resamples: u32,
    /// The currency of spend, ROAS and CAC (an ISO 4217 code): spend in
    /// another is converted at the rate imported with it.
    pub reporting_currency: String,
}

impl ReportSettings {
    pub(super) fn read(env: &Env) -> Result<ReportSettings, SettingError> {
        Ok(ReportSettings {
            bootstrap_resamples: env.number("BOOTSTRAP_RESAMPLES", 200)?,
            reporting_currency: env.parsed(
                "REPORTING_CURRENCY",
                "USD".to_owned(),
                "a three-letter currency code in capitals (ISO 4217), such as USD or EUR",
                |c: &String| crate::spend::is_currency(c),
            )?,
        })
    }
}
