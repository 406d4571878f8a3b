//! The ledger's entries: each conversion (`conversions`, with one `credits`
//! row per credited touch) and each journey's open path (`journeys`), replaced
//! over the version read, with their deltas to the totals in the same
//! transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::path_days::{self, PathDays};
use super::{from_json, owner_key, owner_of_key, totals};
use crate::SqliteStore;
use sma_store::{
    ConversionLedger, CreditRow, FunnelTotal, JourneyLedger, LedgerChange, LedgerEntry, LedgerKey,
    LedgerStore, OpenPath, Owner, PathTotals, ScreenedTotal, StoreError, Versioned,
};

/// A conversion row as read, before its credit rows join it.
type ConversionRow = (i64, String, String, i64, f64, String);
/// A journey row as read: version, open day, open path, funnel entry.
type JourneyRow = (i64, Option<String>, Option<String>, Option<String>);
/// A credit row as read: its columns but the credits, which are still JSON.
struct CreditColumns {
    row: CreditRow,
    ts: i64,
    credits: String,
}

impl LedgerStore for SqliteStore {
    async fn conversion_ledgers(
        &self,
        conversions: &[String],
    ) -> Result<Vec<Option<Versioned<ConversionLedger>>>, StoreError> {
        let ids = conversions.to_vec();
        let rows: Vec<Option<(ConversionRow, Vec<CreditColumns>)>> = self
            .run(move |conn| ids.iter().map(|id| read_conversion(conn, id)).collect())
            .await?;
        conversions
            .iter()
            .zip(rows)
            .map(|(id, row)| row.map(|row| conversion(id, row)).transpose())
            .collect()
    }

    async fn journey_ledgers(
        &self,
        owners: &[Owner],
    ) -> Result<Vec<Option<Versioned<JourneyLedger>>>, StoreError> {
        let keys: Vec<String> = owners.iter().map(owner_key).collect();
        let rows: Vec<Option<JourneyRow>> = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT version, open_day, open_path, funnel FROM journeys WHERE owner = ?1",
                )?;
                keys.iter()
                    .map(|k| {
                        stmt.query_row([k], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                            .optional()
                    })
                    .collect()
            })
            .await?;
        rows.into_iter()
            .map(|row| row.map(journey).transpose())
            .collect()
    }

    async fn commit_ledger(&self, changes: &[LedgerChange]) -> Result<Vec<bool>, StoreError> {
        let changes = changes.to_vec();
        self.write(move |tx| {
            let (mut totals, mut paths) = (totals::Sums::default(), PathDays::default());
            let applied = changes
                .iter()
                .map(|c| commit(tx, c, &mut totals, &mut paths))
                .collect::<rusqlite::Result<Vec<bool>>>()?;
            totals.write(tx)?;
            paths.write(tx)?;
            Ok(applied)
        })
        .await
    }

    async fn credit_totals(
        &self,
        model: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<sma_store::CreditTotal>, StoreError> {
        let model = model.to_owned();
        self.run(move |conn| totals::credits(conn, &model, from, to))
            .await
    }

    async fn path_totals(&self, from: NaiveDate, to: NaiveDate) -> Result<PathTotals, StoreError> {
        let ids = Arc::clone(&self.path_ids);
        self.run(move |conn| path_days::sums(conn, &ids, from, to))
            .await
    }

    async fn funnel_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FunnelTotal>, StoreError> {
        self.run(move |conn| totals::funnel(conn, from, to)).await
    }

    async fn add_screened(&self, counts: &[ScreenedTotal]) -> Result<(), StoreError> {
        if counts.is_empty() {
            return Ok(());
        }
        let counts = counts.to_vec();
        self.write(move |tx| totals::add_screened(tx, &counts))
            .await
    }

    async fn screened_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ScreenedTotal>, StoreError> {
        self.run(move |conn| totals::screened(conn, from, to)).await
    }
}

fn read_conversion(
    conn: &Connection,
    id: &str,
) -> rusqlite::Result<Option<(ConversionRow, Vec<CreditColumns>)>> {
    let head = conn
        .prepare_cached(
            "SELECT version, owner, event, ts, value, path FROM conversions WHERE message_id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()?;
    let Some(head) = head else {
        return Ok(None);
    };
    let rows = conn
        .prepare_cached(
            "SELECT device, touch, ts, channel, source, medium, campaign, term, content,
                    landing_page, credits
             FROM credits WHERE conversion = ?1 ORDER BY ts, device, touch",
        )?
        .query_map([id], |r| {
            Ok(CreditColumns {
                row: CreditRow {
                    device: r.get(0)?,
                    touch: r.get(1)?,
                    timestamp: DateTime::default(),
                    channel: r.get(3)?,
                    source: r.get(4)?,
                    medium: r.get(5)?,
                    campaign: r.get(6)?,
                    term: r.get(7)?,
                    content: r.get(8)?,
                    landing_page: r.get(9)?,
                    credits: BTreeMap::new(),
                },
                ts: r.get(2)?,
                credits: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some((head, rows)))
}

fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("ledger time {ms}")))
}

fn conversion(
    id: &str,
    ((version, owner, event, ts, value, path), rows): (ConversionRow, Vec<CreditColumns>),
) -> Result<Versioned<ConversionLedger>, StoreError> {
    let rows = rows
        .into_iter()
        .map(|c| {
            Ok(CreditRow {
                timestamp: time(c.ts)?,
                credits: from_json::<BTreeMap<String, f64>>("credits", &c.credits)?,
                ..c.row
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Versioned {
        version: version as u64,
        value: ConversionLedger {
            conversion: id.to_owned(),
            owner: owner_of_key(&owner)?,
            event,
            timestamp: time(ts)?,
            value,
            path: from_json("conversion path", &path)?,
            rows,
        },
    })
}

fn journey(
    (version, day, path, funnel): JourneyRow,
) -> Result<Versioned<JourneyLedger>, StoreError> {
    let open_path = match (day, path) {
        (Some(day), Some(path)) => Some(OpenPath {
            day: totals::day_of(&day)?,
            channels: from_json("open path", &path)?,
        }),
        _ => None,
    };
    Ok(Versioned {
        version: version as u64,
        value: JourneyLedger {
            open_path,
            funnel: funnel.map(|f| from_json("funnel entry", &f)).transpose()?,
        },
    })
}

/// Replaces the entry if it is still at the version the change names, and
/// adds its deltas to the transaction's sums, written at its end.
fn commit(
    tx: &Connection,
    change: &LedgerChange,
    totals: &mut totals::Sums,
    paths: &mut PathDays,
) -> rusqlite::Result<bool> {
    let key = change.entry.key();
    let stored = stored_version(tx, &key)?;
    if stored.map(|v| v as u64) != change.expected {
        return Ok(false);
    }
    let version = stored.unwrap_or(0) + 1;
    match &change.entry {
        LedgerEntry::Conversion(c) => write_conversion(tx, c, version)?,
        LedgerEntry::Journey(owner, j) => write_journey(tx, owner, j, version)?,
        LedgerEntry::Removed(key) => remove(tx, key)?,
    }
    totals.add(change);
    paths.add(&change.paths);
    Ok(true)
}

fn stored_version(tx: &Connection, key: &LedgerKey) -> rusqlite::Result<Option<i64>> {
    let (sql, key) = match key {
        LedgerKey::Conversion(id) => (
            "SELECT version FROM conversions WHERE message_id = ?1",
            id.clone(),
        ),
        LedgerKey::Journey(owner) => (
            "SELECT version FROM journeys WHERE owner = ?1",
            owner_key(owner),
        ),
    };
    tx.prepare_cached(sql)?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Removes an entry (its user is being erased): with `secure_delete` on, as
/// the rest of an erasure ([`super::erasure`]), so no byte of it is left.
fn remove(tx: &Connection, key: &LedgerKey) -> rusqlite::Result<()> {
    tx.pragma_update(None, "secure_delete", true)?;
    let removed = delete_entry(tx, key);
    tx.pragma_update(None, "secure_delete", false)?;
    removed
}

fn delete_entry(tx: &Connection, key: &LedgerKey) -> rusqlite::Result<()> {
    match key {
        LedgerKey::Conversion(id) => {
            tx.prepare_cached("DELETE FROM credits WHERE conversion = ?1")?
                .execute([id])?;
            tx.prepare_cached("DELETE FROM conversions WHERE message_id = ?1")?
                .execute([id])?;
        }
        LedgerKey::Journey(owner) => {
            tx.prepare_cached("DELETE FROM journeys WHERE owner = ?1")?
                .execute([owner_key(owner)])?;
        }
    }
    Ok(())
}

fn write_conversion(tx: &Connection, c: &ConversionLedger, version: i64) -> rusqlite::Result<()> {
    let path = serde_json::to_string(&c.path).expect("strings serialise");
    tx.prepare_cached(
        "INSERT OR REPLACE INTO conversions (message_id, version, owner, event, ts, value, path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        c.conversion,
        version,
        owner_key(&c.owner),
        c.event,
        c.timestamp.timestamp_millis(),
        c.value,
        path
    ])?;
    tx.prepare_cached("DELETE FROM credits WHERE conversion = ?1")?
        .execute([&c.conversion])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO credits (conversion, device, touch, ts, channel, source, medium, campaign,
                              term, content, landing_page, credits)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for row in &c.rows {
        let credits = serde_json::to_string(&row.credits).expect("credits serialise");
        insert.execute(params![
            c.conversion,
            row.device,
            row.touch,
            row.timestamp.timestamp_millis(),
            row.channel,
            row.source,
            row.medium,
            row.campaign,
            row.term,
            row.content,
            row.landing_page,
            credits
        ])?;
    }
    Ok(())
}

fn write_journey(
    tx: &Connection,
    owner: &Owner,
    journey: &JourneyLedger,
    version: i64,
) -> rusqlite::Result<()> {
    let (day, path) = match &journey.open_path {
        Some(open) => (
            Some(open.day.to_string()),
            Some(serde_json::to_string(&open.channels).expect("strings serialise")),
        ),
        None => (None, None),
    };
    let funnel = journey
        .funnel
        .as_ref()
        .map(|f| serde_json::to_string(f).expect("a funnel entry serialises"));
    tx.prepare_cached(
        "INSERT OR REPLACE INTO journeys (owner, version, open_day, open_path, funnel)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![owner_key(owner), version, day, path, funnel])?;
    Ok(())
}
