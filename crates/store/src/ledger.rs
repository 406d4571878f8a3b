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

/// The journeys counted on a channel path over a range of days. The path is
/// spelled with labels, or (`L = u32`) coded as indices into
/// [`PathTotals::labels`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PathTotal<L = String> {
    pub path: Vec<L>,
    pub conversions: i64,
    pub non_conversions: i64,
    pub value: f64,
    /// Days from the first touch to the conversion, summed over conversions.
    pub days: f64,
}

impl<L> PathTotal<L> {
    /// Adds the counts of `other` (of the same path).
    pub fn add<M>(&mut self, other: &PathTotal<M>) {
        self.conversions += other.conversions;
        self.non_conversions += other.non_conversions;
        self.value += other.value;
        self.days += other.days;
    }

    /// Whether it counts any journey: deltas can take a path back to none.
    pub fn counts_a_journey(&self) -> bool {
        self.conversions != 0 || self.non_conversions != 0
    }

    /// The same counts on another path.
    pub fn on<M>(&self, path: Vec<M>) -> PathTotal<M> {
        PathTotal {
            path,
            conversions: self.conversions,
            non_conversions: self.non_conversions,
            value: self.value,
            days: self.days,
        }
    }
}

/// What [`crate::LedgerStore::path_totals`] answers: one total per path, in no
/// particular order, without the paths whose journeys deltas took back to
/// none; each path coded as indices into a table of its labels. At tens of
/// thousands of paths over a handful of channels, a reader maps each label
/// once rather than once per touch of every path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathTotals {
    /// Every label the paths use, once.
    pub labels: Vec<String>,
    pub paths: Vec<PathTotal<u32>>,
}

impl PathTotals {
    /// Per-day totals of spelled paths, summed per path.
    pub fn summed(totals: impl IntoIterator<Item = PathTotal>) -> PathTotals {
        let mut per_path: HashMap<Vec<String>, PathTotal> = HashMap::new();
        for total in totals {
            match per_path.get_mut(&total.path) {
                Some(sum) => sum.add(&total),
                None => {
                    per_path.insert(total.path.clone(), total);
                }
            }
        }
        let mut labels = Labels::default();
        let paths = per_path
            .into_values()
            .filter(PathTotal::counts_a_journey)
            .map(|t| t.on(t.path.iter().map(|l| labels.code(l)).collect()))
            .collect();
        PathTotals {
            labels: labels.into_table(),
            paths,
        }
    }

    /// The paths spelled with their labels.
    pub fn spelled(&self) -> Vec<PathTotal> {
        self.paths
            .iter()
            .map(|t| {
                t.on(t
                    .path
                    .iter()
                    .map(|&i| self.labels[i as usize].clone())
                    .collect())
            })
            .collect()
    }
}

/// A table of labels being built: each label's index, given once.
#[derive(Debug, Default)]
pub struct Labels {
    table: Vec<String>,
    index: HashMap<String, u32>,
}

impl Labels {
    /// The label's index, a new one the first time it is seen.
    pub fn code(&mut self, label: &str) -> u32 {
        if let Some(&i) = self.index.get(label) {
            return i;
        }
        let i = self.table.len() as u32;
        self.table.push(label.to_owned());
        self.index.insert(label.to_owned(), i);
        i
    }

    /// Every label given an index, at its index.
    pub fn table(&self) -> &[String] {
        &self.table
    }

    pub fn into_table(self) -> Vec<String> {
        self.table
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
