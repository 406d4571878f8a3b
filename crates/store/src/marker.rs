//! Markers: the events of a journey that its attribution rests on besides
//! touches (conversions and the milestones of the W-shaped model), kept apart
//! from raw events so a journey's can be read by time without its history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Owner;

/// What a marker marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MarkerKind {
    /// A `track` of one of `CONVERSION_EVENTS`.
    Conversion,
    /// The `LEAD_EVENT` milestone.
    Lead,
    /// The `OPPORTUNITY_EVENT` milestone.
    Opportunity,
    /// The `WON_EVENT` milestone (the full-path model's fourth anchor).
    Won,
}

impl MarkerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerKind::Conversion => "conversion",
            MarkerKind::Lead => "lead",
            MarkerKind::Opportunity => "opportunity",
            MarkerKind::Won => "won",
        }
    }

    pub fn parse(text: &str) -> Option<MarkerKind> {
        [
            MarkerKind::Conversion,
            MarkerKind::Lead,
            MarkerKind::Opportunity,
            MarkerKind::Won,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One marker, stored once per messageId under its carrier: the userId of the
/// message when it has one, else its device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub carrier: Owner,
    pub kind: MarkerKind,
    pub timestamp: DateTime<Utc>,
    pub message_id: String,
    /// The track's event name.
    pub event: String,
    /// What the conversion is worth, when it says.
    pub value: Option<f64>,
}
