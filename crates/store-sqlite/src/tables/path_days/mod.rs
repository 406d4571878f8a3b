//! The path totals, one row per day: every path's counts of the day packed in
//! one blob ([`blob`]), each path by its id ([`ids`]). A report over a range
//! reads one row per day instead of one per (day, path), which at a few
//! thousand paths a day is most of its cost, and sums the days into an array
//! by id. A write transaction gathers its path deltas and rewrites each day it
//! touches once, at its end. A path whose journeys deltas took back to none is
//! dropped from its day.

mod blob;
mod ids;
mod labelled;

pub(crate) use ids::PathIds;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::NaiveDate;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};

use super::from_json;
use blob::Counts;
use labelled::SpelledDay;
use sma_store::{PathDelta, PathTotal, PathTotals};

/// The path deltas of one write transaction, by day and path.
#[derive(Debug, Default)]
pub(crate) struct PathDays(BTreeMap<NaiveDate, SpelledDay>);

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
        let mut given = HashMap::new();
        for (day, deltas) in self.0 {
            let day = day.to_string();
            let stored: Option<Vec<u8>> = read.query_row([&day], |r| r.get(0)).optional()?;
            let mut totals = match &stored {
                Some(bytes) => blob::unpacked(bytes).map_err(unreadable)?,
                None => blob::Day::new(),
            };
            for (path, counts) in deltas {
                let id = ids::intern(tx, &mut given, &path)?;
                totals.entry(id).or_default().add(counts);
            }
            totals.retain(|_, counts| counts.counts_a_journey());
            if totals.is_empty() {
                delete.execute([&day])?;
            } else {
                put.execute(params![day, blob::pack(&totals)])?;
            }
        }
        Ok(())
    }
}

/// The journeys counted on each path over the days of `[from, to)`, summed by
/// path id, so no path is spelled out.
pub(crate) fn sums(
    conn: &Connection,
    ids: &Mutex<PathIds>,
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
    let mut ids = ids.lock().expect("path ids lock");
    ids.catch_up(conn)?;
    let mut sums = vec![Counts::default(); ids.paths.len()];
    for day in &days {
        let mut unknown = None;
        blob::read(day, |id, counts| match sums.get_mut(id as usize) {
            Some(sum) => sum.add(counts),
            None => unknown = Some(id),
        })
        .map_err(unreadable)?;
        if let Some(id) = unknown {
            return Err(unreadable(format!("path id {id} is not in paths")));
        }
    }
    let paths = sums
        .iter()
        .zip(&ids.paths)
        .filter(|(counts, _)| counts.counts_a_journey())
        .map(|(c, path)| PathTotal {
            path: path.to_vec(),
            conversions: c.conversions,
            non_conversions: c.non_conversions,
            value: c.value,
            days: c.days,
        })
        .collect();
    Ok(PathTotals {
        labels: ids.labels.table().to_vec(),
        paths,
    })
}

/// Registers `sma_path_totals(totals)` on `conn`: a day's blob as a JSON array
/// of `{path_id, conversions, non_conversions, value, days}`, for a look at the
/// store from SQL (`json_each` lists the paths; `paths` spells each id).
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("sma_path_totals", 1, flags, |ctx| {
        let day = blob::unpacked(ctx.get_raw(0).as_blob()?).map_err(unreadable)?;
        let entries: Vec<serde_json::Value> = day
            .into_iter()
            .map(|(id, c)| {
                serde_json::json!({
                    "path_id": id,
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

/// Schema 14: gives every path an id. The days packed with labels (schema 13)
/// and the rows of the per-(day, path) table before them (schema 12 and
/// earlier, dropped here) are packed again by id.
pub(crate) fn give_ids(tx: &Connection) -> rusqlite::Result<()> {
    let mut days = PathDays::default();
    let mut stored = tx.prepare("SELECT day, totals FROM path_days")?;
    let mut rows = stored.query([])?;
    while let Some(r) = rows.next()? {
        let day = day_of(&r.get::<_, String>(0)?)?;
        for (path, counts) in labelled::spelled(r.get_ref(1)?.as_blob()?).map_err(unreadable)? {
            days.add_path(day, path, counts);
        }
    }
    let earlier: bool = tx.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'path_totals'",
        [],
        |r| r.get(0),
    )?;
    if earlier {
        let mut rows = tx.prepare(
            "SELECT day, path, conversions, non_conversions, value, days FROM path_totals",
        )?;
        let mut rows = rows.query([])?;
        while let Some(r) = rows.next()? {
            let path: String = r.get(1)?;
            let counts = Counts {
                conversions: r.get(2)?,
                non_conversions: r.get(3)?,
                value: r.get(4)?,
                days: r.get(5)?,
            };
            let path = from_json("path total", &path).map_err(|e| unreadable(e.to_string()))?;
            days.add_path(day_of(&r.get::<_, String>(0)?)?, path, counts);
        }
        tx.execute_batch("DROP TABLE path_totals;")?;
    }
    tx.execute_batch("DELETE FROM path_days;")?;
    days.write(tx)
}

fn day_of(day: &str) -> rusqlite::Result<NaiveDate> {
    super::totals::day_of(day).map_err(|e| unreadable(e.to_string()))
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

#[cfg(test)]
mod tests;
