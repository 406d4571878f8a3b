//! The rule-based attribution models, their names and settings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A rule-based attribution model: how one conversion's credit is split over its touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    /// All credit to the first touch.
    First,
    /// All credit to the last touch.
    Last,
    /// All credit to the last touch that is not Direct (Direct only if all are).
    LastNonDirect,
    /// Equal credit to every touch.
    Linear,
    /// Weight `2^(-age / half_life)`, normalised.
    TimeDecay,
    /// U-shaped: 40% first, 40% last, 20% over the middle; 2 touches 50/50.
    Position,
    /// 20% first, 60% last, 20% over the middle; 2 touches 25/75.
    JShaped,
    /// 60% first, 20% last, 20% over the middle; 2 touches 75/25.
    InverseJ,
    /// 1 to the first touch of every distinct channel (does not sum to 1).
    Participation,
    /// 30% first, 30% lead anchor, 30% opportunity anchor, 10% over the others.
    WShaped,
    /// 22.5% each to the first, lead, opportunity and won anchors, 10% over
    /// the others.
    FullPath,
}

impl Model {
    /// Every model, in the order they are listed in the API.
    pub const ALL: [Model; 11] = [
        Model::First,
        Model::Last,
        Model::LastNonDirect,
        Model::Linear,
        Model::TimeDecay,
        Model::Position,
        Model::JShaped,
        Model::InverseJ,
        Model::Participation,
        Model::WShaped,
        Model::FullPath,
    ];

    /// The model's name in the API, reports and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Model::First => "first",
            Model::Last => "last",
            Model::LastNonDirect => "last_non_direct",
            Model::Linear => "linear",
            Model::TimeDecay => "time_decay",
            Model::Position => "position",
            Model::JShaped => "j_shaped",
            Model::InverseJ => "inverse_j",
            Model::Participation => "participation",
            Model::WShaped => "w_shaped",
            Model::FullPath => "full_path",
        }
    }

    /// True when the credits of one conversion sum to 1.
    pub fn sums_to_one(self) -> bool {
        self != Model::Participation
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown attribution model `{name}` (expected one of: {expected})")]
pub struct UnknownModel {
    pub name: String,
    pub expected: String,
}

impl UnknownModel {
    pub(crate) fn new(name: &str, names: impl IntoIterator<Item = &'static str>) -> Self {
        UnknownModel {
            name: name.to_owned(),
            expected: names.into_iter().collect::<Vec<_>>().join(", "),
        }
    }
}

impl FromStr for Model {
    type Err = UnknownModel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Model::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownModel::new(s, Model::ALL.map(Model::as_str)))
    }
}

/// Settings shared by the models (`LOOKBACK_DAYS`, `TIME_DECAY_HALF_LIFE_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelConfig {
    /// Touches older than this before a conversion are not its touches.
    pub lookback_ms: i64,
    /// Age at which a touch weighs half as much under time decay.
    pub half_life_ms: i64,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            lookback_ms: 90 * DAY_MS,
            half_life_ms: 7 * DAY_MS,
        }
    }
}

/// The share of one conversion given to one touch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    /// Index into the user's touches slice.
    pub touch: usize,
    pub credit: f64,
}
