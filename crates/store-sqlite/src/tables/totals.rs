//! The per-day totals reports read: what each model credits a (day, channel,
//! campaign), how many journeys each (day, channel path) counts, and how far
//! the journeys of each (day, first channel, last channel) went. Only ever
//! moved by the deltas of ledger changes.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use super::from_json;
use sma_store::{
    CreditTotal, FunnelDelta, FunnelTotal, LedgerChange, PathTotal, ScreenedTotal, StoreError,
};

/// Adds deltas to the totals, inside the writer's transaction.
pub(crate) fn apply(tx: &Connection, change: &LedgerChange) -> rusqlite::Result<()> {
    let mut credit = tx.prepare_cached(
        "INSERT INTO credit_totals (model, day, channel, campaign, conversions, value)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (model, day, channel, campaign) DO UPDATE SET
           conversions = conversions + excluded.conversions, value = value + excluded.value",
    )?;
    for d in &change.credits {
        let campaign = d.campaign.as_deref().unwrap_or("");
        credit.execute(params![
            d.model,
            d.day.to_string(),
            d.channel,
            campaign,
            d.conversions,
            d.value
        ])?;
    }
    let mut path = tx.prepare_cached(
        "INSERT INTO path_totals (day, path, conversions, non_conversions, value, days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (day, path) DO UPDATE SET
           conversions = conversions + excluded.conversions,
           non_conversions = non_conversions + excluded.non_conversions,
           value = value + excluded.value, days = days + excluded.days",
    )?;
    for d in &change.paths {
        let channels = serde_json::to_string(&d.path).expect("strings serialise");
        path.execute(params![
            d.day.to_string(),
            channels,
            d.conversions,
            d.non_conversions,
            d.value,
            d.days
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
    for FunnelDelta {
        day,
        first,
        last,
        visits,
        leads,
        opportunities,
        conversions,
    } in &change.funnel
    {
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

/// The journeys counted on each path over the days of `[from, to)`.
///
/// Summed by the path's stored text first, so only distinct paths are parsed: a
/// range holds a few rows per path (a path's journeys end on a few of its days).
pub(crate) fn paths(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<Vec<PathTotal>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, conversions, non_conversions, value, days FROM path_totals
         WHERE day >= ?1 AND day < ?2",
    )?;
    let mut by_text: HashMap<String, PathTotal> = HashMap::new();
    let mut rows = stmt.query(params![from.to_string(), to.to_string()])?;
    while let Some(r) = rows.next()? {
        let counts = PathTotal {
            path: Vec::new(),
            conversions: r.get(1)?,
            non_conversions: r.get(2)?,
            value: r.get(3)?,
            days: r.get(4)?,
        };
        let text = r.get_ref(0)?.as_str()?;
        match by_text.get_mut(text) {
            Some(sum) => sum.add(&counts),
            None => {
                by_text.insert(text.to_owned(), counts);
            }
        }
    }
    by_text
        .into_iter()
        .filter(|(_, total)| total.conversions != 0 || total.non_conversions != 0)
        .map(|(text, total)| {
            let path = from_json("path total", &text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
            })?;
            Ok(PathTotal { path, ..total })
        })
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
