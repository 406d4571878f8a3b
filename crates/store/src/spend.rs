//! Ad spend: what each channel's campaigns cost per day, as imported from the
//! ad platforms. Not derived from events and not personal: nothing rebuilds
//! or erases it, an import replaces it row by row.

use chrono::NaiveDate;

/// What a spend row is kept by: one day of one campaign of a channel, as its
/// platform names it. The optional parts are `None`, never an empty string
/// (adapters may keep `None` as `""`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpendKey {
    pub day: NaiveDate,
    /// A channel label (`Paid Search` …), as credit totals name it.
    pub channel: String,
    pub source: Option<String>,
    pub medium: Option<String>,
    /// As touches carry it (`utm_campaign`), so spend meets credits by it.
    pub campaign: Option<String>,
}

/// What one key cost.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendRow {
    pub key: SpendKey,
    /// At least 0, in `currency`.
    pub cost: f64,
    /// The currency `cost` is in: the reporting currency of the import that
    /// stored it (rows in another were converted first), kept so a report in
    /// another reporting currency never adds it to its own.
    pub currency: String,
}
