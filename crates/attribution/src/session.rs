//! Sessions as a state folded event by event, so that whether a view starts a
//! touch depends only on the device's [`SessionState`], not on its history.
//!
//! The rules (DESIGN "Touches", with the session rule of GA4 and Snowplow): a
//! session is started only by a page or screen view, when no session is
//! running; any event of the device (a track, an identify …) within
//! `session_timeout_ms` of the session's previous event keeps it running. A
//! view starts a touch when it carries campaign parameters or an external
//! referrer that differ from the session's current source, or when it is a
//! Direct view that starts a session.

use serde::{Deserialize, Serialize};
use sma_sources::{Origin, Source};

use crate::touch::{PageView, Touch, TouchRules};

/// One event of a device, as sessions see it: a view with its detected source,
/// or any other event, which only keeps a session running.
// Most activities are views: boxing them would add an allocation to each
// without making the common one smaller.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Activity {
    View(PageView),
    Other { timestamp: i64, message_id: String },
}

impl Activity {
    /// The order events are folded in: time, then messageId.
    pub fn key(&self) -> (i64, &str) {
        match self {
            Activity::View(v) => (v.timestamp, &v.message_id),
            Activity::Other {
                timestamp,
                message_id,
            } => (*timestamp, message_id),
        }
    }

    pub fn timestamp(&self) -> i64 {
        self.key().0
    }

    pub fn is_view(&self) -> bool {
        matches!(self, Activity::View(_))
    }
}

/// What sessions remember of a device's events folded so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// The key (time, messageId) of the latest event folded in: an event with
    /// an earlier key is late and cannot simply be folded.
    pub last: Option<(i64, String)>,
    /// The time of the running session's latest event; a session runs while
    /// the next event comes within the timeout of it.
    pub session_last: Option<i64>,
    /// The source of the running session's latest touch, if it has one.
    pub current: Option<Source>,
    /// The time of the device's latest touch.
    pub last_touch: Option<i64>,
}

impl SessionState {
    /// Whether a session would still be running at `at`.
    pub fn running_at(&self, at: i64, rules: &TouchRules) -> bool {
        self.session_last
            .is_some_and(|last| at - last < rules.session_timeout_ms)
    }

    /// Whether `activity` comes after everything folded in so far.
    pub fn is_after(&self, activity: &Activity) -> bool {
        self.last
            .as_ref()
            .is_none_or(|(t, id)| activity.key() > (*t, id.as_str()))
    }

    /// Folds in one event, which must come after every event folded so far
    /// ([`SessionState::is_after`]); answers the touch it starts, if any.
    pub fn fold(&mut self, activity: &Activity, rules: &TouchRules) -> Option<Touch> {
        let (at, id) = activity.key();
        self.last = Some((at, id.to_owned()));
        let running = self.running_at(at, rules);
        let Activity::View(view) = activity else {
            if running {
                self.session_last = Some(at);
            }
            return None;
        };
        if !running {
            self.current = None;
        }
        self.session_last = Some(at);
        let differs = self
            .current
            .as_ref()
            .is_none_or(|c| !same_contribution(c, &view.source));
        // A new session has no source yet, so `differs` also covers "a referrer
        // that begins a new session".
        let starts = match view.source.origin {
            Origin::Campaign | Origin::Referrer => differs,
            Origin::Direct => !running,
            Origin::Internal => false,
        };
        if !starts {
            return None;
        }
        self.current = Some(view.source.clone());
        self.last_touch = Some(at);
        Some(Touch::started_by(view))
    }
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

/// Folds `activities` (one device's, in key order, each messageId once) into
/// `state`; answers the touches they start, in order.
pub fn fold_all(
    state: &mut SessionState,
    activities: &[Activity],
    rules: &TouchRules,
) -> Vec<Touch> {
    activities
        .iter()
        .filter_map(|a| state.fold(a, rules))
        .collect()
}

/// Sorts one device's activities into key order and keeps the first of each
/// messageId (the store keeps one message per id; a copy is a re-delivery).
pub fn in_key_order(activities: &mut Vec<Activity>) {
    activities.sort_by(|a, b| a.key().cmp(&b.key()));
    let mut seen = std::collections::HashSet::new();
    activities.retain(|a| seen.insert(a.key().1.to_owned()));
}

/// The part of a device's history a late event can change, once the history
/// around it is known: the events from the start of the session the earliest
/// late event falls in to the end of the session the latest one falls in.
/// Before the first and after the last, a gap of at least the timeout resets
/// the state, so derivation there is untouched.
///
/// `history` is in key order and holds the late events; `late` is the range
/// of keys they span. Answers the index range of `history` to derive again, or
/// `None` when `history` does not reach a gap on both sides (read more).
pub fn affected(
    history: &[Activity],
    late: ((i64, &str), (i64, &str)),
    known: (i64, i64),
    rules: &TouchRules,
) -> Option<std::ops::Range<usize>> {
    let timeout = rules.session_timeout_ms;
    let gap_before =
        |i: usize| i > 0 && history[i].timestamp() - history[i - 1].timestamp() >= timeout;
    let first = history.iter().position(|a| a.key() >= late.0)?;
    let last = history.iter().rposition(|a| a.key() <= late.1)?;
    // Back to a gap, or to the first event read when nothing was read for at
    // least the timeout before it (then nothing earlier is that close).
    let mut start = first;
    while start > 0 && !gap_before(start) {
        start -= 1;
    }
    if start == 0 && history[0].timestamp() - known.0 < timeout {
        return None;
    }
    let mut end = last + 1;
    while end < history.len() && !gap_before(end) {
        end += 1;
    }
    if end == history.len() && known.1 - history[end - 1].timestamp() < timeout {
        return None;
    }
    Some(start..end)
}
