//! Conversions and the milestones the W-shaped model anchors on.

use serde::{Deserialize, Serialize};

/// A configured conversion `track` event of a user (`CONVERSION_EVENTS`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    /// The track event name, e.g. `Demo Request`.
    pub event: String,
    /// Epoch milliseconds.
    pub timestamp: i64,
    /// `properties.revenue`, else `properties.value`, when present.
    pub value: Option<f64>,
    pub message_id: String,
}

impl Conversion {
    /// The value credits are multiplied by: a conversion without one is worth 0.
    pub fn value_or_zero(&self) -> f64 {
        self.value.unwrap_or(0.0)
    }
}

/// Timestamps (epoch ms, any order) of the user's `LEAD_EVENT` and `OPPORTUNITY_EVENT`
/// tracks: the middle anchors of the W-shaped model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    pub lead: Vec<i64>,
    pub opportunity: Vec<i64>,
    /// The deal won (`WON_EVENT`): the full-path model's fourth anchor.
    pub won: Vec<i64>,
}

/// The latest of `times` at or before `at`.
pub(crate) fn latest_at_or_before(times: &[i64], at: i64) -> Option<i64> {
    times.iter().copied().filter(|&t| t <= at).max()
}
