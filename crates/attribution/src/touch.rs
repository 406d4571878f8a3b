//! Touches: the visits that count, cut out of page/screen views by the session rules
//! of DESIGN "Touches".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sma_sources::{Channel, Source};

use crate::session::{Activity, SessionState, fold_all, in_key_order};

/// One page or screen view of a device, with the Source detected for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageView {
    /// Segment messageId; unique per device (the store is idempotent by it).
    pub message_id: String,
    /// The anonymousId, or `user:<id>` for an event that carried only a userId.
    pub device: String,
    /// Epoch milliseconds.
    pub timestamp: i64,
    /// Page URL, the landing page when this view starts a touch.
    pub url: Option<String>,
    pub referrer: Option<String>,
    pub source: Source,
}

/// A visit that starts a new contribution to the journey: what every model credits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Touch {
    /// Epoch milliseconds of the page view that started the touch.
    pub timestamp: i64,
    pub device: String,
    pub source: Source,
    pub landing_page: Option<String>,
    pub referrer: Option<String>,
    /// messageId of the page view that started the touch.
    pub message_id: String,
}

impl Touch {
    /// The channel this touch is credited to.
    pub fn channel(&self) -> Channel {
        self.source.channel
    }

    pub(crate) fn started_by(view: &PageView) -> Touch {
        Touch {
            timestamp: view.timestamp,
            device: view.device.clone(),
            source: view.source.clone(),
            landing_page: view.url.clone(),
            referrer: view.referrer.clone(),
            message_id: view.message_id.clone(),
        }
    }
}

/// Settings of the session rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TouchRules {
    /// A view at least this long after the previous event of its device begins
    /// a new session (`SESSION_TIMEOUT_MINUTES`).
    pub session_timeout_ms: i64,
}

impl Default for TouchRules {
    fn default() -> Self {
        TouchRules {
            session_timeout_ms: 30 * 60 * 1000,
        }
    }
}

/// The touches of a set of page views (typically every view of every device of one
/// user), in the order `(timestamp, device, message_id)`.
///
/// Sessions are cut per device over its views in `(timestamp, message_id)` order, so the
/// order in which events arrived, or in which devices were linked, never matters. A
/// message id seen twice on a device counts once (its earliest view). Only views
/// are given here, so only views keep sessions running; [`crate::fold_all`] takes
/// a device's other events too.
pub fn touches(views: &[PageView], rules: &TouchRules) -> Vec<Touch> {
    let mut by_device: BTreeMap<&str, Vec<Activity>> = BTreeMap::new();
    for view in views {
        by_device
            .entry(&view.device)
            .or_default()
            .push(Activity::View(view.clone()));
    }
    let mut out = Vec::new();
    for mut activities in by_device.into_values() {
        in_key_order(&mut activities);
        out.extend(fold_all(&mut SessionState::default(), &activities, rules));
    }
    out.sort_by(|a, b| {
        (a.timestamp, &a.device, &a.message_id).cmp(&(b.timestamp, &b.device, &b.message_id))
    });
    out
}
