use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, params};
use sma_spec::{Message, MessageType};

use super::{SqliteStore, sql};
use crate::{EventStore, Owner, StoreError};

/// A stored row before it is rebuilt into a [`Message`].
pub(super) struct Row {
    message_type: String,
    ts: i64,
    raw: String,
}

const SELECT: &str = "SELECT type, ts, sma_unpack(raw), message_id FROM events";
/// `+?1`, not `?1`: see the module documentation of [`super`].
pub(super) const DEVICE_ROWS: &str = "SELECT type, ts, sma_unpack(raw), message_id FROM events
     WHERE anonymous_id = +?1 ORDER BY ts, message_id";

impl EventStore for SqliteStore {
    async fn put_events(&self, messages: &[Message]) -> Result<Vec<bool>, StoreError> {
        // Packed here, on the caller's thread, not on the writer's.
        let rows = messages
            .iter()
            .map(|m| Ok((m.clone(), self.dictionaries.pack(&m.raw).map_err(sql)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write(move |tx| insert_rows(tx, &rows)).await
    }

    async fn device_events(&self, anonymous_id: &str) -> Result<Vec<Message>, StoreError> {
        let mut all = self.devices_events(&[anonymous_id.to_owned()]).await?;
        Ok(all.pop().unwrap_or_default())
    }

    async fn devices_events(
        &self,
        anonymous_ids: &[String],
    ) -> Result<Vec<Vec<Message>>, StoreError> {
        let ids = anonymous_ids.to_vec();
        let rows = self
            .run(move |conn| {
                ids.iter()
                    .map(|id| device_rows(conn, id))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        rows.into_iter().map(rebuild).collect()
    }

    async fn user_events(
        &self,
        user_id: &str,
        devices: &[String],
    ) -> Result<Vec<Message>, StoreError> {
        let user = user_id.to_owned();
        let devices = serde_json::to_string(devices).expect("strings serialise");
        let rows = self
            .run(move |conn| {
                // json_each binds the device list as one parameter, however long.
                let mut stmt = conn.prepare_cached(&format!(
                    "{SELECT} WHERE user_id = +?1
                     UNION
                     {SELECT} WHERE anonymous_id IN (SELECT value FROM json_each(?2))
                     ORDER BY ts, message_id"
                ))?;
                collect(stmt.query_map(params![user, devices], row)?)
            })
            .await?;
        rebuild(rows)
    }

    async fn owners(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Owner>, StoreError> {
        let from = from.map_or(i64::MIN, |t| t.timestamp_millis());
        let to = to.map_or(i64::MAX, |t| t.timestamp_millis());
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT 0, anonymous_id FROM events
                   WHERE ts >= ?1 AND ts < ?2 AND anonymous_id IS NOT NULL
                 UNION
                 SELECT DISTINCT 1, user_id FROM events
                   WHERE ts >= ?1 AND ts < ?2 AND user_id IS NOT NULL
                 ORDER BY 1, 2",
            )?;
            stmt.query_map(params![from, to], |r| {
                let id: String = r.get(1)?;
                Ok(if r.get::<_, i64>(0)? == 0 {
                    Owner::Device(id)
                } else {
                    Owner::User(id)
                })
            })?
            .collect()
        })
        .await
    }
}

/// Inserts messages inside the writer's transaction; answers, per message,
/// whether it was new.
pub(super) fn insert(tx: &Connection, messages: &[Message]) -> rusqlite::Result<Vec<bool>> {
    insert_packed(tx, messages.iter().map(|m| (m, None)))
}

/// [`insert`] for messages whose raw JSON was packed by the caller.
fn insert_rows(
    tx: &Connection,
    rows: &[(Message, Option<Vec<u8>>)],
) -> rusqlite::Result<Vec<bool>> {
    insert_packed(tx, rows.iter().map(|(m, packed)| (m, packed.as_deref())))
}

/// `sma_pack` packs the raw JSON left as text (once there is a dictionary).
fn insert_packed<'a>(
    tx: &Connection,
    rows: impl Iterator<Item = (&'a Message, Option<&'a [u8]>)>,
) -> rusqlite::Result<Vec<bool>> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO events (message_id, type, anonymous_id, user_id, ts, event, url, referrer, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, sma_pack(?9))
         ON CONFLICT (message_id) DO NOTHING",
    )?;
    rows.map(|(m, packed)| {
        let raw = match packed {
            Some(packed) => ValueRef::Blob(packed),
            None => ValueRef::Text(m.raw.as_bytes()),
        };
        let n = insert.execute(params![
            m.message_id,
            m.message_type.as_str(),
            m.anonymous_id,
            m.user_id,
            m.timestamp.timestamp_millis(),
            m.event,
            m.url,
            m.referrer,
            ToSqlOutput::Borrowed(raw)
        ])?;
        Ok(n == 1)
    })
    .collect()
}

/// The stored rows of one device, in time order.
pub(super) fn device_rows(conn: &Connection, anonymous_id: &str) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(DEVICE_ROWS)?;
    collect(stmt.query_map([anonymous_id], row)?)
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        message_type: r.get(0)?,
        ts: r.get(1)?,
        raw: r.get(2)?,
    })
}

fn collect<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> rusqlite::Result<Vec<T>> {
    rows.collect()
}

pub(super) fn rebuild(rows: Vec<Row>) -> Result<Vec<Message>, StoreError> {
    rows.into_iter()
        .map(|r| {
            let message_type = MessageType::parse(&r.message_type)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown type {:?}", r.message_type)))?;
            let ts = DateTime::<Utc>::from_timestamp_millis(r.ts)
                .ok_or_else(|| StoreError::Corrupt(format!("timestamp {} out of range", r.ts)))?;
            Message::from_stored(&r.raw, message_type, ts)
                .map_err(|e| StoreError::Corrupt(format!("stored message: {e}")))
        })
        .collect()
}
