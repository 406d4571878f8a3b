//! A journey's ledger entries as the models make them, and the deltas that
//! move the per-day totals from what was stored to what is true now.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sma_attribution::{Conversion, Milestones, Model, ModelConfig, Touch, credit, lookback_window};
use sma_store::{
    ConversionLedger, CreditDelta, CreditRow, FunnelDelta, FunnelEntry, Marker, MarkerKind,
    OpenPath, Owner, PathDelta,
};

use super::devices::time;

/// The UTC day of an instant, as totals are kept.
pub(crate) fn day(ms: i64) -> NaiveDate {
    time(ms).date_naive()
}

/// The conversion `marker` credited under every rule model over `touches` (the
/// journey's, in time order, at least those of its lookback window).
pub(crate) fn conversion_ledger(
    owner: &Owner,
    marker: &Marker,
    touches: &[Touch],
    milestones: &Milestones,
    cfg: &ModelConfig,
) -> ConversionLedger {
    let at = marker.timestamp.timestamp_millis();
    let conversion = Conversion {
        event: marker.event.clone(),
        timestamp: at,
        value: marker.value,
        message_id: marker.message_id.clone(),
    };
    let window = lookback_window(touches, at, cfg);
    let mut credits: Vec<BTreeMap<String, f64>> = vec![BTreeMap::new(); window.len()];
    for model in Model::ALL {
        for c in credit(model, touches, window.clone(), &conversion, milestones, cfg) {
            credits[c.touch - window.start].insert(model.as_str().to_owned(), c.credit);
        }
    }
    let in_window = &touches[window];
    ConversionLedger {
        conversion: marker.message_id.clone(),
        owner: owner.clone(),
        event: marker.event.clone(),
        timestamp: marker.timestamp,
        value: conversion.value_or_zero(),
        path: in_window
            .iter()
            .map(|t| t.channel().as_str().to_owned())
            .collect(),
        rows: in_window
            .iter()
            .zip(credits)
            .map(|(t, credits)| CreditRow {
                device: t.device.clone(),
                touch: t.message_id.clone(),
                timestamp: time(t.timestamp),
                channel: t.channel().as_str().to_owned(),
                source: t.source.source.clone(),
                medium: t.source.medium.clone(),
                campaign: t.source.campaign.clone(),
                term: t.source.term.clone(),
                content: t.source.content.clone(),
                landing_page: t.landing_page.clone(),
                credits,
            })
            .collect(),
    }
}

type CreditKey = (NaiveDate, String, String, Option<String>);

/// What a conversion's entry adds to the credit totals.
fn credit_totals(entry: &ConversionLedger) -> BTreeMap<CreditKey, (f64, f64)> {
    let day = day(entry.timestamp.timestamp_millis());
    let mut totals: BTreeMap<CreditKey, (f64, f64)> = BTreeMap::new();
    for row in &entry.rows {
        for (model, credit) in &row.credits {
            let key = (
                day,
                model.clone(),
                row.channel.clone(),
                row.campaign.clone(),
            );
            let total = totals.entry(key).or_default();
            total.0 += credit;
            total.1 += credit * entry.value;
        }
    }
    totals
}

/// The credit deltas that take the totals from `old`'s share to `new`'s.
pub(crate) fn credit_deltas(
    old: Option<&ConversionLedger>,
    new: &ConversionLedger,
) -> Vec<CreditDelta> {
    let mut deltas = credit_totals(new);
    for (key, (conversions, value)) in old.map(credit_totals).unwrap_or_default() {
        let delta = deltas.entry(key).or_default();
        delta.0 -= conversions;
        delta.1 -= value;
    }
    deltas
        .into_iter()
        .filter(|(_, (c, v))| *c != 0.0 || *v != 0.0)
        .map(
            |((day, model, channel, campaign), (conversions, value))| CreditDelta {
                day,
                model,
                channel,
                campaign,
                conversions,
                value,
            },
        )
        .collect()
}

/// One journey counted on a path, as the data-driven models see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Counted {
    pub day: NaiveDate,
    pub path: Vec<String>,
    pub converted: bool,
    pub value: f64,
    /// Days from the path's first touch to the conversion (0 when open).
    pub days: f64,
}

const DAY_MS: f64 = 86_400_000.0;

impl Counted {
    /// A conversion's path, when it had touches (a path without any credits no
    /// channel and is not counted).
    pub(crate) fn conversion(entry: &ConversionLedger) -> Option<Counted> {
        let first = entry.rows.first()?;
        let elapsed = entry.timestamp - first.timestamp;
        Some(Counted {
            day: day(entry.timestamp.timestamp_millis()),
            path: entry.path.clone(),
            converted: true,
            value: entry.value,
            days: elapsed.num_milliseconds() as f64 / DAY_MS,
        })
    }

    pub(crate) fn open(open: &OpenPath) -> Counted {
        Counted {
            day: open.day,
            path: open.channels.clone(),
            converted: false,
            value: 0.0,
            days: 0.0,
        }
    }

    fn delta(&self, sign: i64) -> PathDelta {
        let (conversions, non_conversions) = if self.converted { (sign, 0) } else { (0, sign) };
        PathDelta {
            day: self.day,
            path: self.path.clone(),
            conversions,
            non_conversions,
            value: sign as f64 * self.value,
            days: sign as f64 * self.days,
        }
    }
}

/// The path deltas that take the totals from counting `old` to counting `new`.
pub(crate) fn path_deltas(old: Option<Counted>, new: Option<Counted>) -> Vec<PathDelta> {
    if old == new {
        return Vec::new();
    }
    old.map(|o| o.delta(-1))
        .into_iter()
        .chain(new.map(|n| n.delta(1)))
        .collect()
}

/// The open path of a journey: its touches after its last conversion (all of
/// them when it has none), within the lookback before the latest of them,
/// placed by that latest touch's day. `touches` are in time order.
pub(crate) fn open_path(
    touches: &[Touch],
    last_conversion: Option<i64>,
    cfg: &ModelConfig,
) -> Option<OpenPath> {
    let after: Vec<&Touch> = touches
        .iter()
        .filter(|t| last_conversion.is_none_or(|c| t.timestamp > c))
        .collect();
    let latest = after.last()?.timestamp;
    let oldest = latest.saturating_sub(cfg.lookback_ms);
    Some(OpenPath {
        day: day(latest),
        channels: after
            .iter()
            .filter(|t| t.timestamp >= oldest)
            .map(|t| t.channel().as_str().to_owned())
            .collect(),
    })
}

/// A journey as the funnel counts it (see [`FunnelEntry`]), when it has
/// touches. `touches` are in time order, `markers` the journey's.
pub(crate) fn funnel_entry(
    touches: &[Touch],
    markers: &[Marker],
    cfg: &ModelConfig,
) -> Option<FunnelEntry> {
    let latest = touches.last()?;
    let oldest = latest.timestamp.saturating_sub(cfg.lookback_ms);
    let first = touches.iter().find(|t| t.timestamp >= oldest)?;
    let reached = |kind: MarkerKind| {
        markers
            .iter()
            .any(|m| m.kind == kind && m.timestamp.timestamp_millis() >= first.timestamp)
    };
    // A stage counts the journeys that got at least that far, as a pipeline
    // does: a conversion without a recorded lead still went through one.
    let conversion = reached(MarkerKind::Conversion);
    let opportunity = conversion || reached(MarkerKind::Opportunity);
    Some(FunnelEntry {
        day: day(latest.timestamp),
        first: first.channel().as_str().to_owned(),
        last: latest.channel().as_str().to_owned(),
        lead: opportunity || reached(MarkerKind::Lead),
        opportunity,
        conversion,
    })
}

/// The funnel deltas that take the totals from counting `old` to counting `new`.
pub(crate) fn funnel_deltas(
    old: Option<&FunnelEntry>,
    new: Option<&FunnelEntry>,
) -> Vec<FunnelDelta> {
    if old == new {
        return Vec::new();
    }
    let delta = |entry: &FunnelEntry, sign: i64| FunnelDelta {
        day: entry.day,
        first: entry.first.clone(),
        last: entry.last.clone(),
        visits: sign,
        leads: sign * i64::from(entry.lead),
        opportunities: sign * i64::from(entry.opportunity),
        conversions: sign * i64::from(entry.conversion),
    };
    old.map(|o| delta(o, -1))
        .into_iter()
        .chain(new.map(|n| delta(n, 1)))
        .collect()
}
