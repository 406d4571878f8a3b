use std::collections::{HashMap, HashSet};

use chrono::DateTime;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, params};

use crate::{SqliteStore, sql};
use sma_store::{DeviceTouches, Replaced, StoreError, TouchJson, TouchRecord, TouchStore};

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
        let sets = sets
            .iter()
            .map(|(device, touches)| Ok((device.clone(), self.rows(touches)?, touches.clone())))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write(move |tx| {
            let mut new = Vec::new();
            for (device, rows, touches) in sets {
                let before = replace(tx, &device, &rows)?;
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
        let sets = sets
            .iter()
            .map(|set| Ok((set.device.clone(), set.events, self.rows(&set.touches)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Counting and replacing in one write: no event can land in between and
        // make a set stale.
        self.write(move |tx| {
            crate::engine::bulk::index_devices(tx)?;
            let mut replaced = Replaced::default();
            for (device, events, rows) in &sets {
                let stored: i64 = tx
                    .prepare_cached("SELECT count(*) FROM events WHERE anonymous_id = ?1")?
                    .query_row([device], |r| r.get(0))?;
                if u64::try_from(stored).ok() != Some(*events) {
                    replaced.incomplete.push(device.clone());
                    continue;
                }
                let before = replace(tx, device, rows)?;
                replaced.new_touches += rows
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
                    "SELECT message_id, ts, sma_unpack(touch) FROM touches
                     WHERE device = +?1 ORDER BY ts, message_id",
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
                    touch: TouchJson::stored(touch),
                })
            })
            .collect()
    }
}

/// A touch as the writer stores it: serialised (and packed, once there is a
/// dictionary) by the caller, off the writer's thread.
pub(crate) struct Row {
    message_id: String,
    ts: i64,
    json: String,
    packed: Option<Vec<u8>>,
}

impl SqliteStore {
    fn rows(&self, touches: &[TouchRecord]) -> Result<Vec<Row>, StoreError> {
        let mut rows = unpacked_rows(touches);
        for row in &mut rows {
            row.packed = self.dictionaries.pack(&row.json).map_err(sql)?;
        }
        Ok(rows)
    }
}

/// [`Row`]s serialised on the writer's thread (by an intake it applies; the
/// insert packs them).
pub(crate) fn unpacked_rows(touches: &[TouchRecord]) -> Vec<Row> {
    touches
        .iter()
        .map(|t| Row {
            message_id: t.message_id.clone(),
            ts: t.timestamp.timestamp_millis(),
            json: t.touch.as_str().to_owned(),
            packed: None,
        })
        .collect()
}

/// Replaces the touches of `device` inside the writer's transaction; answers the
/// messageIds it had before. Only what changed is written: a page view mostly
/// re-derives the touches already stored, and rewriting them all dirtied the
/// device's pages for nothing.
pub(crate) fn replace(
    tx: &Connection,
    device: &str,
    touches: &[Row],
) -> rusqlite::Result<HashSet<String>> {
    let mut stale: HashMap<String, (i64, String)> = tx
        .prepare_cached("SELECT message_id, ts, sma_unpack(touch) FROM touches WHERE device = ?1")?
        .query_map([device], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    let before: HashSet<String> = stale.keys().cloned().collect();
    // As for events: a value packed already skips `sma_pack`.
    let mut pack = tx.prepare_cached(
        "INSERT OR REPLACE INTO touches (device, message_id, ts, touch)
         VALUES (?1, ?2, ?3, sma_pack(?4))",
    )?;
    let mut packed = tx.prepare_cached(
        "INSERT OR REPLACE INTO touches (device, message_id, ts, touch)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for t in touches {
        let unchanged = matches!(stale.remove(&t.message_id),
            Some((old_ts, old)) if old_ts == t.ts && old == t.json);
        if !unchanged {
            let (insert, touch) = match &t.packed {
                Some(blob) => (&mut packed, ValueRef::Blob(blob)),
                None => (&mut pack, ValueRef::Text(t.json.as_bytes())),
            };
            let touch = ToSqlOutput::Borrowed(touch);
            insert.execute(params![device, t.message_id, t.ts, touch])?;
        }
    }
    let mut delete =
        tx.prepare_cached("DELETE FROM touches WHERE device = ?1 AND message_id = ?2")?;
    for message_id in stale.keys() {
        delete.execute([device, message_id])?;
    }
    Ok(before)
}
