//! The attribution ledger: each conversion's credits as last computed, each
//! journey's open (not yet converting) path, and the totals kept from them by
//! differences, per day, which reports read instead of journeys.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Owner;

/// The credit of one touch towards one conversion, under every rule model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditRow {
    pub device: String,
    /// messageId of the page that started the touch.
    pub touch: String,
    pub timestamp: DateTime<Utc>,
    pub channel: String,
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
    /// Model name -> credit (value credit = credit x the conversion's value).
    pub credits: BTreeMap<String, f64>,
}

/// A conversion as the ledger last credited it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversionLedger {
    /// The conversion's messageId.
    pub conversion: String,
    /// Whose journey it was credited over.
    pub owner: Owner,
    pub event: String,
    pub timestamp: DateTime<Utc>,
    /// The conversion's value (0 when it names none).
    pub value: f64,
    /// The channels of its touches in time order, as the data-driven models see it.
    pub path: Vec<String>,
    /// One row per credited touch, in time order.
    pub rows: Vec<CreditRow>,
}

/// What the ledger keeps of a journey besides its conversions: its open path,
/// the touches after its last conversion, placed by the day of the last one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyLedger {
    pub open_path: Option<OpenPath>,
    /// How far the journey went, counted in the funnel totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funnel: Option<FunnelEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenPath {
    pub day: NaiveDate,
    pub channels: Vec<String>,
}

/// A journey as the funnel counts it: the first and the last channel of its
/// touches in the lookback before its latest one, placed by that latest
/// touch's day, and how far it went since that first touch (a stage implies
/// those before it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelEntry {
    pub day: NaiveDate,
    pub first: String,
    pub last: String,
    pub lead: bool,
    pub opportunity: bool,
    pub conversion: bool,
}

/// Which ledger entry a change replaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LedgerKey {
    /// A conversion, by messageId.
    Conversion(String),
    /// A journey, by its owner.
    Journey(Owner),
}

/// A ledger entry's new value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LedgerEntry {
    Conversion(ConversionLedger),
    Journey(Owner, JourneyLedger),
    /// No entry any more: what an erased user's conversions and journeys
    /// become. A removed conversion is not a change of its credits, so no
    /// correction is sent for it (its user is gone from Segment too).
    Removed(LedgerKey),
}

impl LedgerEntry {
    pub fn key(&self) -> LedgerKey {
        match self {
            LedgerEntry::Conversion(c) => LedgerKey::Conversion(c.conversion.clone()),
            LedgerEntry::Journey(owner, _) => LedgerKey::Journey(owner.clone()),
            LedgerEntry::Removed(key) => key.clone(),
        }
    }
}

/// One entry replaced and the totals moved by the difference, together or not
/// at all.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerChange {
    pub entry: LedgerEntry,
    /// The version read (`None`: no entry was stored): the change applies only
    /// if it is still the stored one.
    pub expected: Option<u64>,
    pub credits: Vec<CreditDelta>,
    pub paths: Vec<PathDelta>,
    pub funnel: Vec<FunnelDelta>,
}

/// A change of what one model credits a (day, channel, campaign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditDelta {
    pub day: NaiveDate,
    pub model: String,
    pub channel: String,
    pub campaign: Option<String>,
    pub conversions: f64,
    pub value: f64,
}

/// A change of the journeys counted on a (day, channel path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathDelta {
    pub day: NaiveDate,
    pub path: Vec<String>,
    pub conversions: i64,
    pub non_conversions: i64,
    pub value: f64,
    /// Days from the first touch to the conversion, summed over conversions.
    pub days: f64,
}

/// A change of the journeys counted on a (day, first channel, last channel),
/// per stage reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunnelDelta {
    pub day: NaiveDate,
    pub first: String,
    pub last: String,
    pub visits: i64,
    pub leads: i64,
    pub opportunities: i64,
    pub conversions: i64,
}

/// What one model credits a (day, channel, campaign) in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditTotal {
    pub day: NaiveDate,
    pub channel: String,
    pub campaign: Option<String>,
    pub conversions: f64,
    pub value: f64,
}

/// The journeys counted on a channel path over a range of days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PathTotal {
    pub path: Vec<String>,
    pub conversions: i64,
    pub non_conversions: i64,
    pub value: f64,
    /// Days from the first touch to the conversion, summed over conversions.
    pub days: f64,
}

impl PathTotal {
    /// Adds the counts of `other` (of the same path).
    pub fn add(&mut self, other: &PathTotal) {
        self.conversions += other.conversions;
        self.non_conversions += other.non_conversions;
        self.value += other.value;
        self.days += other.days;
    }

    /// Totals summed per path, in no particular order, without the paths whose
    /// journeys deltas took back to none: what [`crate::LedgerStore::path_totals`]
    /// answers from per-day totals.
    pub fn summed(totals: impl IntoIterator<Item = PathTotal>) -> Vec<PathTotal> {
        let mut per_path: HashMap<Vec<String>, PathTotal> = HashMap::new();
        for total in totals {
            match per_path.get_mut(&total.path) {
                Some(sum) => sum.add(&total),
                None => {
                    per_path.insert(total.path.clone(), total);
                }
            }
        }
        per_path
            .into_values()
            .filter(|t| t.conversions != 0 || t.non_conversions != 0)
            .collect()
    }
}

/// The journeys counted on a (day, first channel, last channel) in all, per
/// stage reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunnelTotal {
    pub day: NaiveDate,
    pub first: String,
    pub last: String,
    pub visits: i64,
    pub leads: i64,
    pub opportunities: i64,
    pub conversions: i64,
}

/// Page views kept from starting a touch (a bot's, or from a spam referrer),
/// counted per day and reason (`bot:crawler`, `referrer_spam` …). Added as
/// they are stored; a total is the sum of what was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenedTotal {
    pub day: NaiveDate,
    pub reason: String,
    pub views: i64,
}
