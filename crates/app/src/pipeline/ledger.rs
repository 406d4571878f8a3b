//! Settling journeys' ledgers: each affected conversion credited anew over its
//! journey's touches, each open path found again, and each stored entry
//! replaced with the difference added to the totals, over the version read.
//! Journeys are settled many at a time, each store call covering them all, so
//! a body or an import batch costs a handful of calls, not a handful per
//! journey.

use std::collections::{BTreeMap, HashMap};

use sma_attribution::{Milestones, SessionState, Touch};
use sma_store::{
    ConversionLedger, JourneyLedger, LedgerChange, LedgerEntry, Marker, MarkerKind, Owner, Store,
    StoreError,
};

use super::credits::{
    Counted, conversion_ledger, credit_deltas, funnel_deltas, funnel_entry, open_path, path_deltas,
};
use super::devices::time;
use super::plan::Plan;
use super::{CreditChange, Dirty, Scope, Settled};
use crate::App;

/// How often journeys are settled again after losing to a concurrent writer.
const ATTEMPTS: usize = 8;
/// Journeys settled by one round of store calls, at most.
const CHUNK: usize = 2_000;

impl<S: Store> App<S> {
    /// Brings the ledger of every journey in `dirty` up to date; answers how
    /// many journeys it settled and which conversions it credited anew. A
    /// device's changes belong to its user's journey when it has one; a
    /// device that has just been linked leaves a journey of its own behind,
    /// whose open path is taken off the totals.
    pub(crate) async fn settle(&self, dirty: Dirty) -> Result<Settled, StoreError> {
        let devices: Vec<String> = dirty
            .owners
            .keys()
            .filter_map(|o| match o {
                Owner::Device(d) => Some(d.clone()),
                Owner::User(_) | Owner::Account(_) => None,
            })
            .collect();
        let users: HashMap<String, Option<String>> = devices
            .iter()
            .cloned()
            .zip(self.store.users_of(&devices).await?)
            .collect();
        let mut journeys: BTreeMap<Owner, Scope> = BTreeMap::new();
        let mut linked = Vec::new();
        for (owner, scope) in dirty.owners {
            let owner = match owner {
                Owner::Device(device) => match &users[&device] {
                    Some(user) => {
                        if scope == Scope::All {
                            linked.push(Owner::Device(device));
                        }
                        Owner::User(user.clone())
                    }
                    None => Owner::Device(device),
                },
                user => user,
            };
            journeys.entry(owner).or_default().widen(scope);
        }
        self.widen_to_accounts(&mut journeys).await?;
        let mut settled = Settled {
            journeys: journeys.len(),
            credits: Vec::new(),
        };
        let mut pending: Vec<(Owner, Scope)> = linked
            .into_iter()
            .map(|device| (device, Scope::Closed))
            .chain(journeys)
            .collect();
        for _ in 0..ATTEMPTS {
            if pending.is_empty() {
                return Ok(settled);
            }
            let mut stale = Vec::new();
            for chunk in pending.chunks(CHUNK) {
                stale.extend(self.settle_chunk(chunk, &mut settled.credits).await?);
            }
            pending = stale;
        }
        Err(StoreError::Unavailable(
            "the ledger kept changing under settling".into(),
        ))
    }

    /// One attempt at settling some journeys: adds the conversions it credited
    /// anew to `credited` and answers the journeys that lost to a concurrent
    /// writer (an entry changed after it was read).
    async fn settle_chunk(
        &self,
        journeys: &[(Owner, Scope)],
        credited: &mut Vec<CreditChange>,
    ) -> Result<Vec<(Owner, Scope)>, StoreError> {
        let mut plans = self.plan(journeys).await?;
        let devices: Vec<String> = plans.iter().flat_map(|p| p.devices.clone()).collect();
        let last_touches = self.last_touches(&devices).await?;
        let cfg = &self.rules.models;
        for plan in &mut plans {
            let latest = plan.devices.iter().filter_map(|d| last_touches[d]).max();
            let mut ranges: Vec<(i64, i64)> = plan
                .due
                .iter()
                .map(|&i| {
                    let at = plan.markers[i].timestamp.timestamp_millis();
                    (at.saturating_sub(cfg.lookback_ms), at)
                })
                .collect();
            ranges.extend(latest.map(|t| (t.saturating_sub(cfg.lookback_ms), t)));
            plan.range = ranges
                .iter()
                .map(|r| r.0)
                .min()
                .zip(ranges.iter().map(|r| r.1).max());
        }
        let touches = self.plan_touches(&plans).await?;

        let ids: Vec<String> = plans
            .iter()
            .flat_map(|p| p.due.iter().map(|&i| p.markers[i].message_id.clone()))
            .collect();
        let mut stored_conversions = self.store.conversion_ledgers(&ids).await?.into_iter();
        let owners: Vec<Owner> = plans.iter().map(|p| p.owner.clone()).collect();
        let stored_journeys = self.store.journey_ledgers(&owners).await?;

        let mut changes = Vec::new();
        let mut whose = Vec::new();
        // The conversion entry each change replaces (`None` for journeys' and
        // for new conversions').
        let mut replaced: Vec<Option<ConversionLedger>> = Vec::new();
        for ((index, plan), (touches, stored)) in plans
            .iter()
            .enumerate()
            .zip(touches.iter().zip(stored_journeys))
        {
            let mut add = |change, old| {
                changes.push(change);
                whose.push(index);
                replaced.push(old);
            };
            if plan.scope == Scope::Closed {
                if let Some(old) = stored.filter(|s| s.value != JourneyLedger::default()) {
                    add(
                        journey_change(
                            &plan.owner,
                            Some(old.version),
                            &old.value,
                            JourneyLedger::default(),
                        ),
                        None,
                    );
                }
                continue;
            }
            let milestones = Milestones {
                lead: times(&plan.markers, MarkerKind::Lead),
                opportunity: times(&plan.markers, MarkerKind::Opportunity),
                won: won_times(&plan.markers, self.rules.won_event.as_deref()),
            };
            for &i in &plan.due {
                let stored = stored_conversions.next().expect("one answer per id");
                let marker = &plan.markers[i];
                let new = conversion_ledger(&plan.owner, marker, touches, &milestones, cfg);
                let (expected, old) = match stored {
                    Some(s) => (Some(s.version), Some(s.value)),
                    None => (None, None),
                };
                if old.as_ref() == Some(&new) {
                    continue;
                }
                let change = LedgerChange {
                    funnel: Vec::new(),
                    credits: credit_deltas(old.as_ref(), &new),
                    paths: path_deltas(
                        old.as_ref().and_then(Counted::conversion),
                        Counted::conversion(&new),
                    ),
                    expected,
                    entry: LedgerEntry::Conversion(new),
                };
                add(change, old);
            }
            // An account's touches are its members': their open paths and
            // funnel entries are counted in their own journeys.
            if let Owner::Account(_) = plan.owner {
                continue;
            }
            let last_conversion = times(&plan.markers, MarkerKind::Conversion)
                .into_iter()
                .max();
            let new = JourneyLedger {
                open_path: open_path(touches, last_conversion, cfg),
                funnel: funnel_entry(touches, &plan.markers, cfg),
            };
            match stored {
                Some(old) if old.value == new => {}
                old => {
                    let (expected, old) = old.map_or((None, JourneyLedger::default()), |o| {
                        (Some(o.version), o.value)
                    });
                    add(journey_change(&plan.owner, expected, &old, new), None);
                }
            }
        }
        let applied = if changes.is_empty() {
            Vec::new()
        } else {
            self.store.commit_ledger(&changes).await?
        };
        let mut stale = Vec::new();
        for (((change, old), index), applied) in
            changes.into_iter().zip(replaced).zip(whose).zip(applied)
        {
            match (applied, change.entry) {
                (false, _) => stale.push(index),
                (true, LedgerEntry::Conversion(new)) => credited.push(CreditChange { old, new }),
                (true, LedgerEntry::Journey(..) | LedgerEntry::Removed(_)) => {}
            }
        }
        stale.dedup();
        Ok(stale.into_iter().map(|i| journeys[i].clone()).collect())
    }

    /// The time of each device's latest touch.
    async fn last_touches(
        &self,
        devices: &[String],
    ) -> Result<HashMap<String, Option<i64>>, StoreError> {
        let states = self.store.device_states(devices).await?;
        devices
            .iter()
            .zip(states)
            .map(|(device, state)| {
                let latest = match state {
                    Some(state) => {
                        state
                            .value
                            .parse::<SessionState>()
                            .map_err(|e| {
                                StoreError::Corrupt(format!("session state of {device}: {e}"))
                            })?
                            .last_touch
                    }
                    None => None,
                };
                Ok((device.clone(), latest))
            })
            .collect()
    }

    /// Each plan's touches over its range, all its devices merged in time order.
    async fn plan_touches(&self, plans: &[Plan]) -> Result<Vec<Vec<Touch>>, StoreError> {
        let ranges: Vec<(String, _, _)> = plans
            .iter()
            .filter_map(|p| p.range.map(|r| (p, r)))
            .flat_map(|(p, (from, to))| {
                p.devices
                    .iter()
                    .map(move |d| (d.clone(), time(from), time(to.saturating_add(1))))
            })
            .collect();
        let mut read = self.store.touches_between(&ranges).await?.into_iter();
        plans
            .iter()
            .map(|plan| {
                let mut touches = Vec::new();
                if plan.range.is_some() {
                    for _ in &plan.devices {
                        for record in read.next().expect("one answer per range") {
                            touches.push(crate::touches::touch(record)?);
                        }
                    }
                }
                crate::touches::in_journey_order(&mut touches);
                Ok(touches)
            })
            .collect()
    }
}

/// A journey's entry replaced by `new`, the totals moved from counting `old`.
fn journey_change(
    owner: &Owner,
    expected: Option<u64>,
    old: &JourneyLedger,
    new: JourneyLedger,
) -> LedgerChange {
    LedgerChange {
        paths: path_deltas(
            old.open_path.as_ref().map(Counted::open),
            new.open_path.as_ref().map(Counted::open),
        ),
        funnel: funnel_deltas(old.funnel.as_ref(), new.funnel.as_ref()),
        credits: Vec::new(),
        expected,
        entry: LedgerEntry::Journey(owner.clone(), new),
    }
}

/// The won milestones: `WON_EVENT`'s markers, and conversions of that event
/// (a deal won that is also an account's conversion is stored as the latter).
fn won_times(markers: &[Marker], won_event: Option<&str>) -> Vec<i64> {
    markers
        .iter()
        .filter(|m| {
            m.kind == MarkerKind::Won
                || (m.kind == MarkerKind::Conversion && Some(m.event.as_str()) == won_event)
        })
        .map(|m| m.timestamp.timestamp_millis())
        .collect()
}

fn times(markers: &[Marker], kind: MarkerKind) -> Vec<i64> {
    markers
        .iter()
        .filter(|m| m.kind == kind)
        .map(|m| m.timestamp.timestamp_millis())
        .collect()
}
