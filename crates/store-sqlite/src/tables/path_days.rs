//! The path totals, one row per day: every path's counts of the day packed in
//! one blob. A report over a range reads one row per day instead of one per
//! (day, path), which at a few thousand paths a day is most of its cost. A
//! write transaction gathers its path deltas and rewrites each day it touches
//! once, at its end.
//!
//! A blob is a run of entries in path order, each the path's JSON text (a
//! little-endian `u32` length, then the bytes) and its conversions,
//! non-conversions (`i64`), value and days (`f64`), little-endian. A path whose
//! journeys deltas took back to none is dropped from its day.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use foldhash::fast::FixedState;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};

use super::from_json;
use sma_store::{Labels, PathDelta, PathTotal, PathTotals};

/// A path's counts.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Counts {
    conversions: i64,
    non_conversions: i64,
    value: f64,
    days: f64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.conversions += other.conversions;
        self.non_conversions += other.non_conversions;
        self.value += other.value;
        self.days += other.days;
    }

    fn counts_a_journey(&self) -> bool {
        self.conversions != 0 || self.non_conversions != 0
    }
}

const COUNTS_LEN: usize = 32;

/// The path deltas of one write transaction, by day and path (as JSON text).
#[derive(Debug, Default)]
pub(crate) struct PathDays(BTreeMap<NaiveDate, BTreeMap<String, Counts>>);

impl PathDays {
    pub(crate) fn add(&mut self, deltas: &[PathDelta]) {
        for d in deltas {
            let path = serde_json::to_string(&d.path).expect("strings serialise");
            self.add_text(d.day, path, counts_of(d));
        }
    }

    fn add_text(&mut self, day: NaiveDate, path: String, counts: Counts) {
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
            let mut totals: BTreeMap<String, Counts> = match &stored {
                Some(blob) => entries(blob)?
                    .into_iter()
                    .map(|(path, counts)| Ok((text(path)?.to_owned(), counts)))
                    .collect::<rusqlite::Result<_>>()?,
                None => BTreeMap::new(),
            };
            for (path, counts) in deltas {
                totals.entry(path).or_default().add(counts);
            }
            totals.retain(|_, counts| counts.counts_a_journey());
            if totals.is_empty() {
                delete.execute([&day])?;
            } else {
                put.execute(params![day, pack(&totals)])?;
            }
        }
        Ok(())
    }
}

fn counts_of(d: &PathDelta) -> Counts {
    Counts {
        conversions: d.conversions,
        non_conversions: d.non_conversions,
        value: d.value,
        days: d.days,
    }
}

/// The journeys counted on each path over the days of `[from, to)`. Summed by
/// the paths' text, so each distinct path is read once.
pub(crate) fn sums(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<PathTotals> {
    let mut stmt =
        conn.prepare_cached("SELECT totals FROM path_days WHERE day >= ?1 AND day < ?2")?;
    let blobs = stmt
        .query_map(params![from.to_string(), to.to_string()], |r| {
            r.get::<_, Vec<u8>>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let days = blobs
        .iter()
        .map(|blob| entries(blob))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let busiest = days.iter().map(Vec::len).max().unwrap_or(0);
    let mut by_path: HashMap<&[u8], Counts, FixedState> =
        HashMap::with_capacity_and_hasher(2 * busiest, FixedState::default());
    for (path, counts) in days.into_iter().flatten() {
        by_path.entry(path).or_default().add(counts);
    }
    let mut labels = Labels::default();
    let paths = by_path
        .into_iter()
        .filter(|(_, counts)| counts.counts_a_journey())
        .map(|(path, c)| {
            let path = spelled(path)?.iter().map(|l| labels.code(l)).collect();
            Ok(PathTotal {
                path,
                conversions: c.conversions,
                non_conversions: c.non_conversions,
                value: c.value,
                days: c.days,
            })
        })
        .collect::<rusqlite::Result<_>>()?;
    Ok(PathTotals {
        labels: labels.into_table(),
        paths,
    })
}

/// A path's labels from its JSON text, borrowed from it where no label has an
/// escape (a channel label never has one).
fn spelled(path: &[u8]) -> rusqlite::Result<Vec<Cow<'_, str>>> {
    let bad = |e: serde_json::Error| corrupt(e.to_string());
    match serde_json::from_slice::<Vec<&str>>(path) {
        Ok(labels) => Ok(labels.into_iter().map(Cow::Borrowed).collect()),
        Err(_) => Ok(serde_json::from_slice::<Vec<String>>(path)
            .map_err(bad)?
            .into_iter()
            .map(Cow::Owned)
            .collect()),
    }
}

/// Registers `sma_path_totals(totals)` on `conn`: a day's blob as a JSON array
/// of `{path, conversions, non_conversions, value, days}`, for a look at the
/// store from SQL (`json_each` lists the paths).
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("sma_path_totals", 1, flags, |ctx| {
        let blob = ctx.get_raw(0).as_blob()?;
        let entries = entries(blob)?
            .into_iter()
            .map(|(path, c)| {
                let path: serde_json::Value =
                    from_json("path total", text(path)?).map_err(|e| corrupt(e.to_string()))?;
                Ok(serde_json::json!({
                    "path": path,
                    "conversions": c.conversions,
                    "non_conversions": c.non_conversions,
                    "value": c.value,
                    "days": c.days,
                }))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
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
        let day = super::totals::day_of(&day).map_err(|e| corrupt(e.to_string()))?;
        let counts = Counts {
            conversions: r.get(2)?,
            non_conversions: r.get(3)?,
            value: r.get(4)?,
            days: r.get(5)?,
        };
        days.add_text(day, r.get(1)?, counts);
    }
    days.write(tx)?;
    tx.execute_batch("DROP TABLE path_totals;")
}

fn pack(totals: &BTreeMap<String, Counts>) -> Vec<u8> {
    let size: usize = totals.keys().map(|p| 4 + p.len() + COUNTS_LEN).sum();
    let mut blob = Vec::with_capacity(size);
    for (path, c) in totals {
        blob.extend_from_slice(&(path.len() as u32).to_le_bytes());
        blob.extend_from_slice(path.as_bytes());
        blob.extend_from_slice(&c.conversions.to_le_bytes());
        blob.extend_from_slice(&c.non_conversions.to_le_bytes());
        blob.extend_from_slice(&c.value.to_le_bytes());
        blob.extend_from_slice(&c.days.to_le_bytes());
    }
    blob
}

/// The entries of a day's blob; a truncated one is an error.
fn entries(blob: &[u8]) -> rusqlite::Result<Vec<(&[u8], Counts)>> {
    let mut parsed = Vec::new();
    let mut rest = blob;
    while !rest.is_empty() {
        let (len, after) = take::<4>(rest)?;
        let len = u32::from_le_bytes(len) as usize;
        if after.len() < len + COUNTS_LEN {
            return Err(corrupt(format!("a path entry of {len} bytes is cut short")));
        }
        let (path, after) = after.split_at(len);
        let (conversions, after) = take::<8>(after)?;
        let (non_conversions, after) = take::<8>(after)?;
        let (value, after) = take::<8>(after)?;
        let (days, after) = take::<8>(after)?;
        parsed.push((
            path,
            Counts {
                conversions: i64::from_le_bytes(conversions),
                non_conversions: i64::from_le_bytes(non_conversions),
                value: f64::from_le_bytes(value),
                days: f64::from_le_bytes(days),
            },
        ));
        rest = after;
    }
    Ok(parsed)
}

fn text(path: &[u8]) -> rusqlite::Result<&str> {
    std::str::from_utf8(path).map_err(|e| corrupt(e.to_string()))
}

fn take<const N: usize>(bytes: &[u8]) -> rusqlite::Result<([u8; N], &[u8])> {
    let (head, rest) = bytes
        .split_first_chunk::<N>()
        .ok_or_else(|| corrupt("a path entry is cut short".to_owned()))?;
    Ok((*head, rest))
}

/// A blob or path that does not read back: the read fails as a bad column does.
fn corrupt(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Blob,
        format!("path totals: {message}").into(),
    )
}

#[cfg(test)]
mod tests {
    use super::{Counts, entries, pack};
    use std::collections::BTreeMap;

    #[test]
    fn a_packed_day_reads_back_and_a_cut_one_is_an_error() {
        let counts = |n: i64| Counts {
            conversions: n,
            non_conversions: 2 * n,
            value: 10.5 * n as f64,
            days: 0.25,
        };
        let totals: BTreeMap<String, Counts> = [
            (r#"["Email"]"#.to_owned(), counts(1)),
            (r#"["Direct","Email"]"#.to_owned(), counts(3)),
        ]
        .into_iter()
        .collect();
        let blob = pack(&totals);
        let read: Vec<(String, Counts)> = entries(&blob)
            .unwrap()
            .into_iter()
            .map(|(p, c)| (String::from_utf8(p.to_vec()).unwrap(), c))
            .collect();
        assert_eq!(read, totals.into_iter().collect::<Vec<_>>());
        for cut in [1, 5, blob.len() - 1] {
            assert!(entries(&blob[..cut]).is_err(), "cut at {cut}");
        }
    }
}
