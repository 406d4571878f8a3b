use std::collections::{HashMap, HashSet};

use chrono::DateTime;
use rusqlite::{Connection, params};

use super::SqliteStore;
use crate::{DeviceTouches, Replaced, StoreError, TouchRecord, TouchStore};

impl TouchStore for SqliteStore {
    async fn replace_touches(
        &self,
        device: &str,
        touches: &[TouchRecord],
    ) -> Result<Vec<TouchRecord>, StoreError> {
        self.replace_touches_of(&[(device.to_owned(), touches.to_vec())])
            .await
    }

    async fn replace_touches_of(
        &self,
        sets: &[(String, Vec<TouchRecord>)],
    ) -> Result<Vec<TouchRecord>, StoreError> {
        let sets = sets.to_vec();
        self.write(move |tx| {
            let mut new = Vec::new();
            for (device, touches) in sets {
                let before = replace(tx, &device, &touches)?;
                new.extend(
                    touches
                        .into_iter()
                        .filter(|t| !before.contains(&t.message_id)),
                );
            }
            Ok(new)
        })
        .await
    }

    async fn replace_touches_where_complete(
        &self,
        sets: &[DeviceTouches],
    ) -> Result<Replaced, StoreError> {
        let sets = sets.to_vec();
        // Counting and replacing in one write: no event can land in between and
        // make a set stale.
        self.write(move |tx| {
            let mut replaced = Replaced::default();
            for set in &sets {
                let stored: i64 = tx
                    .prepare_cached("SELECT count(*) FROM events WHERE anonymous_id = ?1")?
                    .query_row([&set.device], |r| r.get(0))?;
                if u64::try_from(stored).ok() != Some(set.events) {
                    replaced.incomplete.push(set.device.clone());
                    continue;
                }
                let before = replace(tx, &set.device, &set.touches)?;
                replaced.new_touches += set
                    .touches
                    .iter()
                    .filter(|t| !before.contains(&t.message_id))
                    .count() as u64;
            }
            Ok(replaced)
        })
        .await
    }

    async fn device_touches(&self, device: &str) -> Result<Vec<TouchRecord>, StoreError> {
        let key = device.to_owned();
        let rows: Vec<(String, i64, String)> = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT message_id, ts, touch FROM touches WHERE device = +?1 ORDER BY ts, message_id",
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

/// Replaces the touches of `device` inside the writer's transaction; answers the
/// messageIds it had before. Only what changed is written: a page view mostly
/// re-derives the touches already stored, and rewriting them all dirtied the
/// device's pages for nothing.
pub(super) fn replace(
    tx: &Connection,
    device: &str,
    touches: &[TouchRecord],
) -> rusqlite::Result<HashSet<String>> {
    let mut stale: HashMap<String, (i64, String)> = tx
        .prepare_cached("SELECT message_id, ts, touch FROM touches WHERE device = ?1")?
        .query_map([device], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    let before: HashSet<String> = stale.keys().cloned().collect();
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO touches (device, message_id, ts, touch) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for t in touches {
        let (ts, touch) = (t.timestamp.timestamp_millis(), t.touch.to_string());
        let unchanged = matches!(stale.remove(&t.message_id),
            Some((old_ts, old)) if old_ts == ts && old == touch);
        if !unchanged {
            insert.execute(params![device, t.message_id, ts, touch])?;
        }
    }
    let mut delete =
        tx.prepare_cached("DELETE FROM touches WHERE device = ?1 AND message_id = ?2")?;
    for message_id in stale.keys() {
        delete.execute([device, message_id])?;
    }
    Ok(before)
}
