//! The per-day totals reports read: what each model credits a (day, channel,
//! campaign) and how far the journeys of each (day, first channel, last
//! channel) went (the paths' are in [`super::path_days`]). Only ever moved by
//! the deltas of ledger changes.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use sma_store::{CreditTotal, FunnelTotal, LedgerChange, ScreenedTotal, StoreError};

/// The credit and funnel deltas of one transaction's ledger changes, summed
/// per total before they are added: a transaction settles many journeys whose
/// deltas mostly fall on the same few (day, channel) totals, so one upsert per
/// total replaces one per delta. (Path deltas are gathered by
/// [`super::path_days`].)
#[derive(Default)]
pub(crate) struct Sums {
    /// (model, day, channel, campaign or "") → (conversions, value).
    credits: BTreeMap<(String, NaiveDate, String, String), (f64, f64)>,
    /// (day, first, last) → visits, leads, opportunities, conversions.
    funnel: BTreeMap<(NaiveDate, String, String), [i64; 4]>,
}

impl Sums {
    pub(crate) fn add(&mut self, change: &LedgerChange) {
        for d in &change.credits {
            let campaign = d.campaign.clone().unwrap_or_default();
            let key = (d.model.clone(), d.day, d.channel.clone(), campaign);
            let sum = self.credits.entry(key).or_default();
            sum.0 += d.conversions;
            sum.1 += d.value;
        }
        for d in &change.funnel {
            let key = (d.day, d.first.clone(), d.last.clone());
            let sum = self.funnel.entry(key).or_default();
            for (total, delta) in
                sum.iter_mut()
                    .zip([d.visits, d.leads, d.opportunities, d.conversions])
            {
                *total += delta;
            }
        }
    }

    /// Adds the sums to their totals, inside the writer's transaction.
    pub(crate) fn write(self, tx: &Connection) -> rusqlite::Result<()> {
        let mut credit = tx.prepare_cached(
            "INSERT INTO credit_totals (model, day, channel, campaign, conversions, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (model, day, channel, campaign) DO UPDATE SET
               conversions = conversions + excluded.conversions, value = value + excluded.value",
        )?;
        for ((model, day, channel, campaign), (conversions, value)) in self.credits {
            credit.execute(params![
                model,
                day.to_string(),
                channel,
                campaign,
                conversions,
                value
            ])?;
        }
        let mut funnel = tx.prepare_cached(
            "INSERT INTO funnel_totals (day, first, last, visits, leads, opportunities, conversions)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (day, first, last) DO UPDATE SET
               visits = visits + excluded.visits, leads = leads + excluded.leads,
               opportunities = opportunities + excluded.opportunities,
               conversions = conversions + excluded.conversions",
        )?;
        for ((day, first, last), [visits, leads, opportunities, conversions]) in self.funnel {
            funnel.execute(params![
                day.to_string(),
                first,
                last,
                visits,
                leads,
                opportunities,
                conversions
            ])?;
        }
        Ok(())
    }
}

/// What `model` credits each (day, channel, campaign) of `[from, to)`.
pub(crate) fn credits(
    conn: &Connection,
    model: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<Vec<CreditTotal>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, channel, campaign, conversions, value FROM credit_totals
         WHERE model = ?1 AND day >= ?2 AND day < ?3 ORDER BY day, channel, campaign",
    )?;
    stmt.query_map(params![model, from.to_string(), to.to_string()], |r| {
        let day: String = r.get(0)?;
        let campaign: String = r.get(2)?;
        Ok(CreditTotal {
            day: day_column(&day)?,
            channel: r.get(1)?,
            campaign: (!campaign.is_empty()).then_some(campaign),
            conversions: r.get(3)?,
            value: r.get(4)?,
        })
    })?
    .collect()
}

/// The journeys counted on each (day, first, last) of `[from, to)`, in that
/// order.
pub(crate) fn funnel(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<Vec<FunnelTotal>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, first, last, visits, leads, opportunities, conversions FROM funnel_totals
         WHERE day >= ?1 AND day < ?2 AND (visits <> 0 OR leads <> 0 OR opportunities <> 0
           OR conversions <> 0)
         ORDER BY day, first, last",
    )?;
    stmt.query_map(params![from.to_string(), to.to_string()], |r| {
        let day: String = r.get(0)?;
        Ok(FunnelTotal {
            day: day_column(&day)?,
            first: r.get(1)?,
            last: r.get(2)?,
            visits: r.get(3)?,
            leads: r.get(4)?,
            opportunities: r.get(5)?,
            conversions: r.get(6)?,
        })
    })?
    .collect()
}

/// Adds screened page views to their (day, reason) totals.
pub(crate) fn add_screened(tx: &Connection, counts: &[ScreenedTotal]) -> rusqlite::Result<()> {
    let mut add = tx.prepare_cached(
        "INSERT INTO screened_totals (day, reason, views) VALUES (?1, ?2, ?3)
         ON CONFLICT (day, reason) DO UPDATE SET views = views + excluded.views",
    )?;
    for c in counts {
        add.execute(params![c.day.to_string(), c.reason, c.views])?;
    }
    Ok(())
}

/// The screened page views of each (day, reason) of `[from, to)`, in that order.
pub(crate) fn screened(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<Vec<ScreenedTotal>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, reason, views FROM screened_totals
         WHERE day >= ?1 AND day < ?2 ORDER BY day, reason",
    )?;
    stmt.query_map(params![from.to_string(), to.to_string()], |r| {
        let day: String = r.get(0)?;
        Ok(ScreenedTotal {
            day: day_column(&day)?,
            reason: r.get(1)?,
            views: r.get(2)?,
        })
    })?
    .collect()
}

/// A day read in a row: a malformed one fails the read like any bad column.
fn day_column(text: &str) -> rusqlite::Result<NaiveDate> {
    day_of(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

pub(crate) fn day_of(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("day {text:?}: {e}")))
}
