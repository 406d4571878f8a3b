//! `GET /api/report/funnel` and `sma report funnel`: how far journeys went
//! (visit, lead, opportunity, conversion) per first-touch and per last-touch
//! channel, with stage-to-stage rates; and the conversions each channel
//! assisted (a touch on the path but not the last one, as Google's
//! multi-channel funnels count them) beside those it closed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sma_store::{FunnelTotal, PathTotal, Store, StoreError};

use super::{Period, shown};
use crate::App;

/// The stages, in funnel order: the names of [`FunnelRow`]'s counts.
pub const STAGES: [&str; 4] = ["visit", "lead", "opportunity", "conversion"];

#[derive(Debug, Clone, Serialize)]
pub struct FunnelView {
    pub from: Option<String>,
    pub to: Option<String>,
    pub stages: [&'static str; 4],
    /// Journeys by the channel of their first touch.
    pub first_touch: Vec<FunnelRow>,
    /// Journeys by the channel of their latest touch.
    pub last_touch: Vec<FunnelRow>,
    pub assisted: Vec<AssistedRow>,
}

/// The journeys of one channel that reached each stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FunnelRow {
    pub channel: String,
    pub visit: i64,
    pub lead: i64,
    pub opportunity: i64,
    pub conversion: i64,
    pub rates: StageRates,
}

/// Each stage over the stage before it; `None` when that one is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StageRates {
    pub lead: Option<f64>,
    pub opportunity: Option<f64>,
    pub conversion: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AssistedRow {
    pub channel: String,
    /// Conversions with a touch of the channel before the last touch.
    pub assisted: i64,
    pub assisted_value: f64,
    /// Conversions whose last touch is the channel's.
    pub last_touch: i64,
    /// `assisted / last_touch`; `None` when it closed none.
    pub ratio: Option<f64>,
}

fn rate(stage: i64, before: i64) -> Option<f64> {
    (before > 0).then(|| (stage as f64 / before as f64 * 10_000.0).round() / 10_000.0)
}

fn funnel_rows<'a>(
    totals: &'a [FunnelTotal],
    channel: impl Fn(&'a FunnelTotal) -> &'a str,
) -> Vec<FunnelRow> {
    let mut rows: BTreeMap<&str, FunnelRow> = BTreeMap::new();
    for t in totals {
        let row = rows.entry(channel(t)).or_insert_with(|| FunnelRow {
            channel: channel(t).to_owned(),
            ..FunnelRow::default()
        });
        row.visit += t.visits;
        row.lead += t.leads;
        row.opportunity += t.opportunities;
        row.conversion += t.conversions;
    }
    rows.into_values()
        .filter(|r| r.visit != 0)
        .map(|mut r| {
            r.rates = StageRates {
                lead: rate(r.lead, r.visit),
                opportunity: rate(r.opportunity, r.lead),
                conversion: rate(r.conversion, r.opportunity),
            };
            r
        })
        .collect()
}

fn row<'a, 'b>(
    rows: &'b mut BTreeMap<&'a str, AssistedRow>,
    channel: &'a str,
) -> &'b mut AssistedRow {
    rows.entry(channel).or_insert_with(|| AssistedRow {
        channel: channel.to_owned(),
        ..AssistedRow::default()
    })
}

fn assisted(totals: &[PathTotal]) -> Vec<AssistedRow> {
    let mut rows: BTreeMap<&str, AssistedRow> = BTreeMap::new();
    for t in totals.iter().filter(|t| t.conversions > 0) {
        let Some((last, before)) = t.path.split_last() else {
            continue;
        };
        row(&mut rows, last).last_touch += t.conversions;
        let assisting: BTreeSet<&String> = before.iter().collect();
        for channel in assisting {
            let r = row(&mut rows, channel);
            r.assisted += t.conversions;
            r.assisted_value += t.value;
        }
    }
    rows.into_values()
        .map(|mut r| {
            r.assisted_value = shown(r.assisted_value);
            r.ratio = rate(r.assisted, r.last_touch);
            r
        })
        .collect()
}

impl<S: Store> App<S> {
    pub async fn funnel(&self, period: Period) -> Result<FunnelView, StoreError> {
        self.read_after_writes().await?;
        let (from, to) = period.days();
        let funnel = self.store.funnel_totals(from, to).await?;
        let paths = self.store.path_totals(from, to).await?.spelled();
        let (from, to) = period.shown();
        Ok(FunnelView {
            from,
            to,
            stages: STAGES,
            first_touch: funnel_rows(&funnel, |t| &t.first),
            last_touch: funnel_rows(&funnel, |t| &t.last),
            assisted: assisted(&paths),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
    }

    #[test]
    fn counts_stages_per_first_and_last_channel_with_rates() {
        let total = |first: &str, last: &str, stages: [i64; 4]| FunnelTotal {
            day: day(),
            first: first.into(),
            last: last.into(),
            visits: stages[0],
            leads: stages[1],
            opportunities: stages[2],
            conversions: stages[3],
        };
        let totals = [
            total("Email", "Direct", [4, 2, 1, 1]),
            total("Email", "Email", [6, 0, 0, 0]),
            total("Direct", "Direct", [2, 1, 0, 0]),
        ];
        let first = funnel_rows(&totals, |t| &t.first);
        let email = &first[1];
        assert_eq!(
            (email.channel.as_str(), email.visit, email.lead),
            ("Email", 10, 2)
        );
        assert_eq!(email.rates.lead, Some(0.2));
        assert_eq!(email.rates.opportunity, Some(0.5));
        assert_eq!(email.rates.conversion, Some(1.0));
        let last = funnel_rows(&totals, |t| &t.last);
        let direct = &last[0];
        assert_eq!((direct.visit, direct.lead, direct.opportunity), (6, 3, 1));
        assert_eq!(last[1].rates.opportunity, None, "no lead: no rate");
    }

    #[test]
    fn a_channel_assists_where_it_is_not_last() {
        let path = |channels: &[&str], conversions: i64, value: f64| PathTotal {
            path: channels.iter().map(|c| c.to_string()).collect(),
            conversions,
            non_conversions: 0,
            value,
            days: 0.0,
        };
        let rows = assisted(&[
            path(&["Email", "Email", "Direct"], 2, 20.0),
            path(&["Direct", "Email"], 1, 5.0),
            path(&["Email"], 3, 30.0),
        ]);
        let email = rows.iter().find(|r| r.channel == "Email").unwrap();
        // Counted once per conversion however often it appears before the end.
        assert_eq!(
            (email.assisted, email.assisted_value, email.last_touch),
            (2, 20.0, 4)
        );
        assert_eq!(email.ratio, Some(0.5));
        let direct = rows.iter().find(|r| r.channel == "Direct").unwrap();
        assert_eq!(
            (direct.assisted, direct.last_touch, direct.ratio),
            (1, 2, Some(0.5))
        );
    }
}
