use std::collections::HashSet;

use chrono::DateTime;
use rusqlite::params;

use super::SqliteStore;
use crate::{StoreError, TouchRecord, TouchStore};

impl TouchStore for SqliteStore {
    async fn replace_touches(
        &self,
        device: &str,
        touches: &[TouchRecord],
    ) -> Result<Vec<TouchRecord>, StoreError> {
        let device = device.to_owned();
        let touches = touches.to_vec();
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let before: HashSet<String> = {
                let mut stmt = tx.prepare_cached("SELECT message_id FROM touches WHERE device = ?1")?;
                stmt.query_map([&device], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            tx.execute("DELETE FROM touches WHERE device = ?1", [&device])?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO touches (device, message_id, ts, touch) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for t in &touches {
                    insert.execute(params![
                        device,
                        t.message_id,
                        t.timestamp.timestamp_millis(),
                        t.touch.to_string()
                    ])?;
                }
            }
            tx.commit()?;
            Ok(touches
                .into_iter()
                .filter(|t| !before.contains(&t.message_id))
                .collect())
        })
        .await
    }

    async fn device_touches(&self, device: &str) -> Result<Vec<TouchRecord>, StoreError> {
        let key = device.to_owned();
        let rows: Vec<(String, i64, String)> = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT message_id, ts, touch FROM touches WHERE device = ?1 ORDER BY ts, message_id",
                )?;
                stmt.query_map([&key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .await?;
        rows.into_iter()
            .map(|(message_id, ts, touch)| {
                Ok(TouchRecord {
                    device: device.to_owned(),
                    timestamp: DateTime::from_timestamp_millis(ts)
                        .ok_or_else(|| StoreError::Corrupt(format!("touch time {ts}")))?,
                    message_id,
                    touch: serde_json::from_str(&touch)
                        .map_err(|e| StoreError::Corrupt(format!("touch JSON: {e}")))?,
                })
            })
            .collect()
    }
}
