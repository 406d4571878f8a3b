//! Spend: one row per (day, channel, source, medium, campaign), `''` for a
//! part that is `None`, replaced in place by a re-import.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, ToSql, params};

use super::totals::day_of;
use crate::SqliteStore;
use sma_store::{SpendKey, SpendRow, SpendStore, StoreError};

/// The columns of a row as read: day, channel, source, medium, campaign,
/// cost, currency.
type Columns = (String, String, String, String, String, f64, String);

impl SpendStore for SqliteStore {
    async fn put_spend(&self, rows: &[SpendRow]) -> Result<Vec<bool>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let rows = rows.to_vec();
        self.write(move |tx| {
            let mut stored = tx.prepare_cached(
                "SELECT 1 FROM spend WHERE day = ?1 AND channel = ?2 AND source = ?3
                   AND medium = ?4 AND campaign = ?5",
            )?;
            let mut put = tx.prepare_cached(
                "INSERT INTO spend (day, channel, source, medium, campaign, cost, currency)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (day, channel, source, medium, campaign) DO UPDATE SET
                   cost = excluded.cost, currency = excluded.currency",
            )?;
            rows.iter()
                .map(|row| {
                    let k = &row.key;
                    let day = k.day.to_string();
                    let (source, medium, campaign) =
                        (part(&k.source), part(&k.medium), part(&k.campaign));
                    // The key's five, then what is kept under it.
                    let values: [&dyn ToSql; 7] = [
                        &day,
                        &k.channel,
                        &source,
                        &medium,
                        &campaign,
                        &row.cost,
                        &row.currency,
                    ];
                    let replaced = stored
                        .query_row(&values[..5], |_| Ok(()))
                        .optional()?
                        .is_some();
                    put.execute(&values[..])?;
                    Ok(replaced)
                })
                .collect()
        })
        .await
    }

    async fn spend_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SpendRow>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        let rows: Vec<Columns> = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT day, channel, source, medium, campaign, cost, currency FROM spend
                     WHERE day >= ?1 AND day < ?2
                     ORDER BY day, channel, source, medium, campaign",
                )?;
                stmt.query_map(params![from, to], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect()
            })
            .await?;
        rows.into_iter()
            .map(|(day, channel, source, medium, campaign, cost, currency)| {
                Ok(SpendRow {
                    key: SpendKey {
                        day: day_of(&day)?,
                        channel,
                        source: none_if_empty(source),
                        medium: none_if_empty(medium),
                        campaign: none_if_empty(campaign),
                    },
                    cost,
                    currency,
                })
            })
            .collect()
    }
}

/// A key part as its column holds it: a primary key column cannot be NULL.
fn part(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

fn none_if_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}
