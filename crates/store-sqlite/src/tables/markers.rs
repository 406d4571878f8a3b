//! Conversions and milestones, by carrier and time.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{owner_key, owner_of_key};
use crate::SqliteStore;
use sma_store::{Marker, MarkerKind, MarkerStore, Owner, StoreError};

impl MarkerStore for SqliteStore {
    async fn put_markers(&self, markers: &[Marker]) -> Result<(), StoreError> {
        if markers.is_empty() {
            return Ok(());
        }
        let markers = markers.to_vec();
        self.write(move |tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO markers (message_id, carrier, kind, ts, event, value)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (message_id) DO NOTHING",
            )?;
            for m in &markers {
                insert.execute(params![
                    m.message_id,
                    owner_key(&m.carrier),
                    m.kind.as_str(),
                    m.timestamp.timestamp_millis(),
                    m.event,
                    m.value
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn markers_of(
        &self,
        carriers: &[Owner],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Marker>, StoreError> {
        let carriers: Vec<String> = carriers.iter().map(owner_key).collect();
        let carriers = serde_json::to_string(&carriers).expect("strings serialise");
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        let rows: Vec<(String, String, String, i64, String, Option<f64>)> = self
            .run(move |conn| {
                // json_each binds the carriers as one parameter, however many.
                let mut stmt = conn.prepare_cached(
                    "SELECT message_id, carrier, kind, ts, event, value FROM markers
                     WHERE carrier IN (SELECT value FROM json_each(?1)) AND ts >= ?2 AND ts < ?3
                     ORDER BY ts, message_id",
                )?;
                stmt.query_map(params![carriers, from, to], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect()
            })
            .await?;
        rows.into_iter()
            .map(|(message_id, carrier, kind, ts, event, value)| {
                Ok(Marker {
                    carrier: owner_of_key(&carrier)?,
                    kind: MarkerKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("marker kind {kind:?}")))?,
                    timestamp: DateTime::from_timestamp_millis(ts)
                        .ok_or_else(|| StoreError::Corrupt(format!("marker time {ts}")))?,
                    message_id,
                    event,
                    value,
                })
            })
            .collect()
    }
}
