//! Touches: the visits that count, cut out of page/screen views by the session rules
//! of DESIGN "Touches".

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use sma_sources::{Channel, Origin, Source};

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

    fn started_by(view: &PageView) -> Touch {
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
    /// A view at least this long after the previous view of its device begins a new
    /// session (`SESSION_TIMEOUT_MINUTES`).
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
/// message id seen twice on a device counts once (its earliest view).
pub fn touches(views: &[PageView], rules: &TouchRules) -> Vec<Touch> {
    let mut by_device: BTreeMap<&str, Vec<&PageView>> = BTreeMap::new();
    for view in views {
        by_device.entry(&view.device).or_default().push(view);
    }
    let mut out = Vec::new();
    for mut device_views in by_device.into_values() {
        device_views
            .sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
        let mut seen = HashSet::new();
        device_views.retain(|v| seen.insert(v.message_id.as_str()));
        device_touches(&device_views, rules, &mut out);
    }
    out.sort_by(|a, b| {
        (a.timestamp, &a.device, &a.message_id).cmp(&(b.timestamp, &b.device, &b.message_id))
    });
    out
}

/// The fields that make two sources the same contribution. `rule` and `ruleset` say how
/// a source was detected, not what it is, so a rules update never splits a session.
fn same_contribution(a: &Source, b: &Source) -> bool {
    a.channel == b.channel
        && a.source == b.source
        && a.medium == b.medium
        && a.campaign == b.campaign
        && a.term == b.term
        && a.content == b.content
        && a.click_id == b.click_id
}

/// Sessionises the time-ordered views of one device, appending its touches to `out`.
fn device_touches(views: &[&PageView], rules: &TouchRules, out: &mut Vec<Touch>) {
    let mut last_seen: Option<i64> = None;
    // Source of the current session's latest touch; none until a view starts one.
    let mut current: Option<&Source> = None;
    for view in views {
        let new_session =
            last_seen.is_none_or(|seen| view.timestamp - seen >= rules.session_timeout_ms);
        if new_session {
            current = None;
        }
        // Every view keeps the session alive, Internal ones included.
        last_seen = Some(view.timestamp);
        let differs = current.is_none_or(|c| !same_contribution(c, &view.source));
        // A new session has no source yet, so `differs` also covers "a referrer that
        // begins a new session".
        let starts = match view.source.origin {
            Origin::Campaign | Origin::Referrer => differs,
            Origin::Direct => new_session,
            Origin::Internal => false,
        };
        if starts {
            current = Some(&view.source);
            out.push(Touch::started_by(view));
        }
    }
}
