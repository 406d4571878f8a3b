//! Touches from session state: each device's new events are folded into the
//! state its earlier ones left, so a page view costs the same however long
//! the device's history. An event older than what the state has folded
//! re-derives only the sessions around it ([`sma_attribution::affected`]).

use std::collections::{BTreeMap, HashMap};

use chrono::DateTime;
use sma_attribution::{Activity, SessionState, Touch, affected, fold_all, in_key_order};
use sma_spec::{Message, is_blocked_id};
use sma_store::{
    DeviceChange, Json, Marker, MarkerKind, Owner, Store, StoreError, TouchRecord, Versioned,
};

use super::{Dirty, Scope};
use crate::App;

/// How often a device's change is derived again after losing to a concurrent
/// writer before the step gives up (as unavailable: the caller retries later).
const ATTEMPTS: usize = 8;

/// One device's part of a run: its change, and what it did to the journey.
struct Derived {
    change: DeviceChange,
    /// Touches not stored before.
    new: Vec<TouchRecord>,
    /// The times (epoch ms, inclusive) whose touches may have changed.
    changed: Option<(i64, i64)>,
}

impl<S: Store> App<S> {
    /// Folds each device's new messages into its state and stores the touches
    /// that start; answers the touches new to the store.
    pub(crate) async fn derive_devices(
        &self,
        messages: &[Message],
        dirty: &mut Dirty,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        self.derive_all(messages, false, dirty).await
    }

    /// Derives the touches of the messages' devices again from their stored
    /// history around the messages, whatever their state says (a store of an
    /// earlier version has touches but no state).
    pub(crate) async fn rederive_devices(
        &self,
        messages: &[Message],
        dirty: &mut Dirty,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        self.derive_all(messages, true, dirty).await
    }

    async fn derive_all(
        &self,
        messages: &[Message],
        anew: bool,
        dirty: &mut Dirty,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        let mut pending = self.activities(messages);
        let mut new_touches = Vec::new();
        for _ in 0..ATTEMPTS {
            if pending.is_empty() {
                return Ok(new_touches);
            }
            let devices: Vec<String> = pending.keys().cloned().collect();
            let states = self.store.device_states(&devices).await?;
            let mut derived = Vec::with_capacity(devices.len());
            for (device, state) in devices.iter().zip(states) {
                derived.push(
                    self.derive_device(device, &pending[device], state, anew)
                        .await?,
                );
            }
            let (changes, outcomes): (Vec<DeviceChange>, Vec<_>) = derived
                .into_iter()
                .map(|d| (d.change, (d.new, d.changed)))
                .unzip();
            let applied = self.store.commit_devices(&changes).await?;
            for ((change, (new, changed)), applied) in
                changes.into_iter().zip(outcomes).zip(applied)
            {
                if !applied {
                    continue;
                }
                let device = pending.remove(&change.device);
                debug_assert!(device.is_some());
                if let Some((from, to)) = changed {
                    let lookback = self.rules.models.lookback_ms;
                    dirty.mark(
                        Owner::Device(change.device),
                        Scope::Between(vec![(from, to.saturating_add(lookback))]),
                    );
                }
                new_touches.extend(new);
            }
        }
        Err(StoreError::Unavailable(format!(
            "device state kept changing under derivation: {}",
            pending.keys().cloned().collect::<Vec<_>>().join(", ")
        )))
    }

    /// The messages' events per device, in key order. Placeholder
    /// anonymousIds (`null`, `0` …) are nobody's device: they build up no
    /// history and start no touch.
    fn activities(&self, messages: &[Message]) -> BTreeMap<String, Vec<Activity>> {
        let mut by_device: BTreeMap<String, Vec<Activity>> = BTreeMap::new();
        for m in messages {
            let Some(device) = m.anonymous_id.as_ref().filter(|a| !is_blocked_id(a)) else {
                continue;
            };
            let activity = match self.rules.page_view(m) {
                Some(view) => Activity::View(view),
                None => Activity::Other {
                    timestamp: m.timestamp.timestamp_millis(),
                    message_id: m.message_id.clone(),
                },
            };
            by_device.entry(device.clone()).or_default().push(activity);
        }
        for activities in by_device.values_mut() {
            in_key_order(activities);
        }
        by_device
    }

    async fn derive_device(
        &self,
        device: &str,
        activities: &[Activity],
        stored: Option<Versioned<Json>>,
        anew: bool,
    ) -> Result<Derived, StoreError> {
        let (expected, mut state) = match &stored {
            Some(s) => (Some(s.version), parse_state(device, &s.value)?),
            None => (None, SessionState::default()),
        };
        let late = activities
            .iter()
            .filter(|a| anew || !state.is_after(a))
            .map(|a| a.key())
            .min();
        let Some(lo) = late else {
            let touches = fold_all(&mut state, activities, &self.rules.touches);
            let records: Vec<TouchRecord> = touches.iter().map(record).collect();
            let changed = span(&records);
            return Ok(Derived {
                change: change(device, expected, &state, records.clone(), Vec::new()),
                new: records,
                changed,
            });
        };
        let lo = (lo.0, lo.1.to_owned());
        self.derive_late(device, activities, expected, state, lo)
            .await
    }

    /// Re-derives the sessions around late events from the stored history:
    /// read a little around them, widening until gaps of the session timeout
    /// bound the part they can change.
    async fn derive_late(
        &self,
        device: &str,
        activities: &[Activity],
        expected: Option<u64>,
        state: SessionState,
        lo: (i64, String),
    ) -> Result<Derived, StoreError> {
        let rules = &self.rules.touches;
        let lo = (lo.0, lo.1.as_str());
        let hi = activities.iter().map(Activity::key).max().expect("events");
        let mut reach = 2 * rules.session_timeout_ms.max(1);
        loop {
            let known = (lo.0.saturating_sub(reach), hi.0.saturating_add(reach));
            let mut history = self.history(device, known).await?;
            history.extend(activities.iter().cloned());
            in_key_order(&mut history);
            let Some(window) = affected(&history, (lo, hi), known, rules) else {
                reach = reach.saturating_mul(4);
                continue;
            };
            let window = &history[window];
            let first = window[0].timestamp();
            let last = window[window.len() - 1].timestamp();
            let mut folded = SessionState::default();
            let derived: Vec<TouchRecord> = fold_all(&mut folded, window, rules)
                .iter()
                .map(record)
                .collect();
            // Past the window the state is what it was, unless the window
            // reaches everything folded so far.
            let reaches_end = state.is_after(&window[window.len() - 1]) || {
                let end = &window[window.len() - 1];
                state
                    .last
                    .as_ref()
                    .is_some_and(|(t, id)| (*t, id.as_str()) == end.key())
            };
            let before = state.last_touch;
            let mut state = if reaches_end { folded } else { state };
            state.last_touch = self
                .last_touch_after(device, before, (first, last), &derived)
                .await?;
            let stored = self
                .store
                .device_touches_between(device, time(first), time(last.saturating_add(1)))
                .await?;
            let (put, remove, new) = difference(&stored, derived);
            return Ok(Derived {
                change: change(device, expected, &state, put, remove),
                new,
                changed: Some((first, last)),
            });
        }
    }

    /// The time of the device's latest touch once a window is derived again:
    /// touches outside the window are as they were, so it changes only when
    /// it was not after the window. Then it is the window's latest touch, or
    /// the latest before the window.
    async fn last_touch_after(
        &self,
        device: &str,
        before: Option<i64>,
        (first, last): (i64, i64),
        derived: &[TouchRecord],
    ) -> Result<Option<i64>, StoreError> {
        Ok(match (before, derived.last()) {
            (Some(t), _) if t > last => before,
            (_, Some(touch)) => Some(touch.timestamp.timestamp_millis()),
            (Some(t), None) if t < first => before,
            (None, None) => None,
            (Some(_), None) => self
                .store
                .device_touches_between(device, time(i64::MIN), time(first))
                .await?
                .last()
                .map(|t| t.timestamp.timestamp_millis()),
        })
    }

    /// A device's stored events with a time in `[from, to)`, as activities.
    async fn history(
        &self,
        device: &str,
        (from, to): (i64, i64),
    ) -> Result<Vec<Activity>, StoreError> {
        let messages = self
            .store
            .device_events_between(device, time(from), time(to))
            .await?;
        Ok(self
            .activities(&messages)
            .remove(device)
            .unwrap_or_default())
    }

    /// Stores the conversions and milestones among the messages; each marks
    /// the part of its journey it can move.
    pub(crate) async fn mark(
        &self,
        messages: &[Message],
        dirty: &mut Dirty,
    ) -> Result<(), StoreError> {
        let mut markers = Vec::new();
        for m in messages {
            match self.account_conversion(m).await? {
                Some(marker) => markers.push(marker),
                None => markers.extend(self.marker(m)),
            }
        }
        if markers.is_empty() {
            return Ok(());
        }
        self.store.put_markers(&markers).await?;
        for marker in markers {
            let at = marker.timestamp.timestamp_millis();
            let until = match marker.kind {
                MarkerKind::Conversion => at,
                // A milestone anchors the conversions of the lookback after it.
                _ => at.saturating_add(self.rules.models.lookback_ms),
            };
            dirty.mark(marker.carrier, Scope::Between(vec![(at, until)]));
        }
        Ok(())
    }

    /// The marker of an account's conversion, carried by the account (one
    /// that belongs to no account is its sender's milestone, if any).
    async fn account_conversion(&self, m: &Message) -> Result<Option<Marker>, StoreError> {
        if !self.rules.is_account_conversion(m) || self.rules.is_conversion(m) {
            return Ok(None);
        }
        Ok(self.account_of(m).await?.map(|account| Marker {
            carrier: Owner::Account(account),
            kind: MarkerKind::Conversion,
            timestamp: m.timestamp,
            message_id: m.message_id.clone(),
            event: m.event.clone().unwrap_or_default(),
            value: m.value,
        }))
    }

    /// The marker a message is, if any: a conversion or a milestone, carried
    /// by its user when it names one, else by its device.
    fn marker(&self, m: &Message) -> Option<Marker> {
        let kind = if self.rules.is_conversion(m) {
            MarkerKind::Conversion
        } else if self.rules.is_lead(m) {
            MarkerKind::Lead
        } else if self.rules.is_opportunity(m) {
            MarkerKind::Opportunity
        } else if self.rules.is_won(m) {
            MarkerKind::Won
        } else {
            return None;
        };
        let carrier = match (&m.user_id, &m.anonymous_id) {
            (Some(u), _) if !is_blocked_id(u) => Owner::User(u.clone()),
            (_, Some(a)) if !is_blocked_id(a) => Owner::Device(a.clone()),
            _ => return None,
        };
        Some(Marker {
            carrier,
            kind,
            timestamp: m.timestamp,
            message_id: m.message_id.clone(),
            event: m.event.clone().unwrap_or_default(),
            value: m.value,
        })
    }
}

fn parse_state(device: &str, json: &Json) -> Result<SessionState, StoreError> {
    json.parse()
        .map_err(|e| StoreError::Corrupt(format!("session state of {device}: {e}")))
}

fn change(
    device: &str,
    expected: Option<u64>,
    state: &SessionState,
    put: Vec<TouchRecord>,
    remove: Vec<TouchRecord>,
) -> DeviceChange {
    DeviceChange {
        device: device.to_owned(),
        expected,
        state: Json::new(state).expect("session states serialise"),
        put,
        remove,
    }
}

/// The touches to put (new or derived anew) and to remove for the stored ones
/// of a window to become the derived ones, and which are new to the store.
fn difference(
    stored: &[TouchRecord],
    derived: Vec<TouchRecord>,
) -> (Vec<TouchRecord>, Vec<TouchRecord>, Vec<TouchRecord>) {
    let mut before: HashMap<&str, &TouchRecord> =
        stored.iter().map(|t| (t.message_id.as_str(), t)).collect();
    let mut put = Vec::new();
    let mut new = Vec::new();
    for touch in derived {
        match before.remove(touch.message_id.as_str()) {
            Some(old) if *old == touch => {}
            Some(_) => put.push(touch),
            None => {
                new.push(touch.clone());
                put.push(touch);
            }
        }
    }
    let remove = before.into_values().cloned().collect();
    (put, remove, new)
}

fn span(records: &[TouchRecord]) -> Option<(i64, i64)> {
    let first = records.first()?.timestamp.timestamp_millis();
    let last = records.last()?.timestamp.timestamp_millis();
    Some((first, last))
}

pub(crate) fn record(touch: &Touch) -> TouchRecord {
    TouchRecord {
        device: touch.device.clone(),
        timestamp: time(touch.timestamp),
        message_id: touch.message_id.clone(),
        touch: Json::new(touch).expect("touches serialise"),
    }
}

/// The first and last instants stores are asked about: years 1 and 9999, which
/// every adapter orders correctly (an RFC 3339 text of a negative or
/// five-digit year would not sort as its time).
const EARLIEST_MS: i64 = -62_135_596_800_000;
const LATEST_MS: i64 = 253_402_300_799_999;

/// An instant of epoch milliseconds, clamped to what stores are asked about.
pub(crate) fn time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms.clamp(EARLIEST_MS, LATEST_MS))
        .expect("within chrono's range")
}
