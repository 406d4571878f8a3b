//! The path totals, one row per day: every path's counts of the day packed in
//! one blob ([`blob`]). A report over a range reads one row per day instead of
//! one per (day, path), which at a few thousand paths a day is most of its
//! cost. A write transaction gathers its path deltas and rewrites each day it
//! touches once, at its end. A path whose journeys deltas took back to none is
//! dropped from its day.

mod blob;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use foldhash::fast::FixedState;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};

use super::from_json;
use blob::{Counts, Day};
use sma_store::{Labels, PathDelta, PathTotal, PathTotals};

/// The path deltas of one write transaction, by day and path.
#[derive(Debug, Default)]
pub(crate) struct PathDays(BTreeMap<NaiveDate, Day>);

impl PathDays {
    pub(crate) fn add(&mut self, deltas: &[PathDelta]) {
        for d in deltas {
            let counts = Counts {
                conversions: d.conversions,
                non_conversions: d.non_conversions,
                value: d.value,
                days: d.days,
            };
            self.add_path(d.day, d.path.clone(), counts);
        }
    }

    fn add_path(&mut self, day: NaiveDate, path: Vec<String>, counts: Counts) {
        self.0
            .entry(day)
            .or_default()
            .entry(path)
            .or_default()
            .add(counts);
    }

    /// Applies the gathered deltas: one read and one write per day.
    pub(crate) fn write(self, tx: &Connection) -> rusqlite::Result<()> {
        let mut read = tx.prepare_cached("SELECT totals FROM path_days WHERE day = ?1")?;
        let mut put = tx.prepare_cached(
            "INSERT INTO path_days (day, totals) VALUES (?1, ?2)
             ON CONFLICT (day) DO UPDATE SET totals = excluded.totals",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM path_days WHERE day = ?1")?;
        for (day, deltas) in self.0 {
            let day = day.to_string();
            let stored: Option<Vec<u8>> = read.query_row([&day], |r| r.get(0)).optional()?;
            let mut totals = match &stored {
                Some(bytes) => blob::spelled(bytes).map_err(unreadable)?,
                None => Day::new(),
            };
            for (path, counts) in deltas {
                totals.entry(path).or_default().add(counts);
            }
            totals.retain(|_, counts| counts.counts_a_journey());
            if totals.is_empty() {
                delete.execute([&day])?;
            } else {
                put.execute(params![day, blob::pack(&totals).map_err(unreadable)?])?;
            }
        }
        Ok(())
    }
}

/// The journeys counted on each path over the days of `[from, to)`. Summed by
/// the paths' label indices, so no path is spelled out.
pub(crate) fn sums(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<PathTotals> {
    let mut stmt =
        conn.prepare_cached("SELECT totals FROM path_days WHERE day >= ?1 AND day < ?2")?;
    let days = stmt
        .query_map(params![from.to_string(), to.to_string()], |r| {
            r.get::<_, Vec<u8>>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut labels = Labels::default();
    let mut by_path: HashMap<Box<[u32]>, Counts, FixedState> = HashMap::default();
    let mut path = Vec::new();
    for day in &days {
        blob::read(
            day,
            |table| table.iter().map(|l| labels.code(l)).collect::<Vec<_>>(),
            |codes, indices, counts| {
                path.clear();
                path.extend(indices.iter().map(|&i| codes[usize::from(i)]));
                match by_path.get_mut(path.as_slice()) {
                    Some(sum) => sum.add(counts),
                    None => {
                        by_path.insert(path.as_slice().into(), counts);
                    }
                }
            },
        )
        .map_err(unreadable)?;
    }
    let paths = by_path
        .into_iter()
        .filter(|(_, counts)| counts.counts_a_journey())
        .map(|(path, c)| PathTotal {
            path: path.into_vec(),
            conversions: c.conversions,
            non_conversions: c.non_conversions,
            value: c.value,
            days: c.days,
        })
        .collect();
    Ok(PathTotals {
        labels: labels.into_table(),
        paths,
    })
}

/// Registers `sma_path_totals(totals)` on `conn`: a day's blob as a JSON array
/// of `{path, conversions, non_conversions, value, days}`, for a look at the
/// store from SQL (`json_each` lists the paths).
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("sma_path_totals", 1, flags, |ctx| {
        let day = blob::spelled(ctx.get_raw(0).as_blob()?).map_err(unreadable)?;
        let entries: Vec<serde_json::Value> = day
            .into_iter()
            .map(|(path, c)| {
                serde_json::json!({
                    "path": path,
                    "conversions": c.conversions,
                    "non_conversions": c.non_conversions,
                    "value": c.value,
                    "days": c.days,
                })
            })
            .collect();
        Ok(serde_json::Value::Array(entries).to_string())
    })
}

/// Schema 13: packs the rows of the per-(day, path) table that came before,
/// then drops it.
pub(crate) fn pack_path_totals(tx: &Connection) -> rusqlite::Result<()> {
    let mut days = PathDays::default();
    let mut rows =
        tx.prepare("SELECT day, path, conversions, non_conversions, value, days FROM path_totals")?;
    let mut rows = rows.query([])?;
    while let Some(r) = rows.next()? {
        let day: String = r.get(0)?;
        let path: String = r.get(1)?;
        let unreadable = |e: sma_store::StoreError| unreadable(e.to_string());
        let counts = Counts {
            conversions: r.get(2)?,
            non_conversions: r.get(3)?,
            value: r.get(4)?,
            days: r.get(5)?,
        };
        let day = super::totals::day_of(&day).map_err(unreadable)?;
        let path = from_json("path total", &path).map_err(unreadable)?;
        days.add_path(day, path, counts);
    }
    days.write(tx)?;
    tx.execute_batch("DROP TABLE path_totals;")
}

/// Stored path totals that do not read back: the read fails as a bad column
/// does.
fn unreadable(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Blob,
        format!("path totals: {message}").into(),
    )
}
