//! Each device's derivation: its state (`device_states`, versioned) and the
//! touches it derived (`touches`), changed together in one transaction.

use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};

use crate::SqliteStore;
use sma_store::{DeviceChange, Json, StoreError, TouchRecord, TouchStore, Versioned};

impl TouchStore for SqliteStore {
    async fn device_states(
        &self,
        devices: &[String],
    ) -> Result<Vec<Option<Versioned<Json>>>, StoreError> {
        let devices = devices.to_vec();
        self.run(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT version, state FROM device_states WHERE device = ?1")?;
            devices
                .iter()
                .map(|device| {
                    stmt.query_row([device], |r| {
                        Ok(Versioned {
                            version: r.get::<_, i64>(0)? as u64,
                            value: Json::stored(r.get(1)?),
                        })
                    })
                    .optional()
                })
                .collect()
        })
        .await
    }

    async fn commit_devices(&self, changes: &[DeviceChange]) -> Result<Vec<bool>, StoreError> {
        // Packed here, on the caller's thread, not on the writer's.
        let changes = changes
            .iter()
            .map(|change| {
                Ok(Staged {
                    device: change.device.clone(),
                    expected: change.expected,
                    state: change.state.as_str().to_owned(),
                    remove: change.remove.iter().map(|t| t.message_id.clone()).collect(),
                    rows: self.rows(&change.put)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write(move |tx| changes.iter().map(|change| commit(tx, change)).collect())
            .await
    }

    async fn device_touches(&self, device: &str) -> Result<Vec<TouchRecord>, StoreError> {
        self.touches_in(vec![(device.to_owned(), i64::MIN, i64::MAX)])
            .await
            .map(|mut all| all.pop().unwrap_or_default())
    }

    async fn device_touches_between(
        &self,
        device: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        let range = (
            device.to_owned(),
            from.timestamp_millis(),
            to.timestamp_millis(),
        );
        self.touches_in(vec![range])
            .await
            .map(|mut all| all.pop().unwrap_or_default())
    }

    async fn touches_between(
        &self,
        ranges: &[(String, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<Vec<TouchRecord>>, StoreError> {
        let ranges = ranges
            .iter()
            .map(|(d, from, to)| (d.clone(), from.timestamp_millis(), to.timestamp_millis()))
            .collect();
        self.touches_in(ranges).await
    }
}

impl SqliteStore {
    /// The touches of each (device, from, to) of `ranges` (epoch ms, `[from, to)`).
    async fn touches_in(
        &self,
        ranges: Vec<(String, i64, i64)>,
    ) -> Result<Vec<Vec<TouchRecord>>, StoreError> {
        type Rows = Vec<(String, i64, String)>;
        let (devices, rows): (Vec<String>, Vec<Rows>) = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT message_id, ts, sma_unpack(touch) FROM touches
                     WHERE device = +?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts, message_id",
                )?;
                let mut all = Vec::with_capacity(ranges.len());
                for (device, from, to) in &ranges {
                    let rows: Rows = stmt
                        .query_map(params![device, from, to], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                        })?
                        .collect::<rusqlite::Result<_>>()?;
                    all.push(rows);
                }
                Ok(ranges.into_iter().map(|r| r.0).zip(all).unzip())
            })
            .await?;
        devices
            .into_iter()
            .zip(rows)
            .map(|(device, rows)| {
                rows.into_iter()
                    .map(|(message_id, ts, touch)| {
                        Ok(TouchRecord {
                            device: device.clone(),
                            timestamp: DateTime::from_timestamp_millis(ts)
                                .ok_or_else(|| StoreError::Corrupt(format!("touch time {ts}")))?,
                            message_id,
                            touch: Json::stored(touch),
                        })
                    })
                    .collect()
            })
            .collect()
    }

    fn rows(&self, touches: &[TouchRecord]) -> Result<Vec<Row>, StoreError> {
        self.dictionaries.pack_all(
            touches,
            |t| t.touch.as_str(),
            |t, packed| Row {
                message_id: t.message_id.clone(),
                ts: t.timestamp.timestamp_millis(),
                touch: match packed {
                    Some(blob) => Touch::Packed(blob),
                    None => Touch::Json(t.touch.as_str().to_owned()),
                },
            },
        )
    }
}

/// A device's change as the writer applies it: what it writes, its touches
/// packed already.
struct Staged {
    device: String,
    expected: Option<u64>,
    state: String,
    /// The message ids of the touches it removes.
    remove: Vec<String>,
    rows: Vec<Row>,
}

/// A touch as the writer stores it: packed, once there is a dictionary, by the
/// caller, off the writer's thread.
struct Row {
    message_id: String,
    ts: i64,
    touch: Touch,
}

enum Touch {
    Packed(Vec<u8>),
    /// Before the dictionary: `sma_pack` packs it as it is stored.
    Json(String),
}

/// Applies one change if the device's state is still the version it names.
fn commit(tx: &Connection, change: &Staged) -> rusqlite::Result<bool> {
    let stored: Option<i64> = tx
        .prepare_cached("SELECT version FROM device_states WHERE device = ?1")?
        .query_row([&change.device], |r| r.get(0))
        .optional()?;
    if stored.map(|v| v as u64) != change.expected {
        return Ok(false);
    }
    let version = stored.unwrap_or(0) + 1;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO device_states (device, version, state) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![change.device, version, change.state])?;
    let mut delete =
        tx.prepare_cached("DELETE FROM touches WHERE device = ?1 AND message_id = ?2")?;
    for message_id in &change.remove {
        delete.execute([&change.device, message_id])?;
    }
    // A value packed already is stored as it is: `sma_pack` would only copy it.
    let mut pack = tx.prepare_cached(
        "INSERT OR REPLACE INTO touches (device, message_id, ts, touch)
         VALUES (?1, ?2, ?3, sma_pack(?4))",
    )?;
    let mut packed = tx.prepare_cached(
        "INSERT OR REPLACE INTO touches (device, message_id, ts, touch)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for row in &change.rows {
        let (insert, touch) = match &row.touch {
            Touch::Packed(blob) => (&mut packed, ValueRef::Blob(blob)),
            Touch::Json(json) => (&mut pack, ValueRef::Text(json.as_bytes())),
        };
        let touch = ToSqlOutput::Borrowed(touch);
        insert.execute(params![change.device, row.message_id, row.ts, touch])?;
    }
    Ok(true)
}
