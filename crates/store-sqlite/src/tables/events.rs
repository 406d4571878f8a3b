use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use sma_spec::{Message, MessageType};

use crate::SqliteStore;
use sma_store::{EventStore, Owner, StoreError};

/// A stored row before it is rebuilt into a [`Message`].
pub(crate) struct Row {
    message_type: String,
    ts: i64,
    raw: String,
}

const SELECT: &str = "SELECT type, ts, sma_unpack(raw), message_id FROM events";
/// `+?1`, not `?1`: see the module documentation of [`super`].
pub(crate) const DEVICE_ROWS: &str = "SELECT type, ts, sma_unpack(raw), message_id FROM events
     WHERE anonymous_id = +?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts, message_id";

impl EventStore for SqliteStore {
    async fn put_events(&self, messages: &[Message]) -> Result<Vec<bool>, StoreError> {
        // Packed here, on the caller's threads, not on the writer's; only the
        // columns are copied, not the whole message.
        let rows = self
            .dictionaries
            .pack_all(messages, |m| &m.raw, NewRow::of)?;
        self.write(move |tx| insert_columns(tx, rows.iter().map(NewRow::columns)))
            .await
    }

    async fn stored_under(&self, messages: &[Message]) -> Result<Vec<Option<Message>>, StoreError> {
        let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
        let rows: Vec<Option<Row>> = self
            .run(move |conn| {
                let mut stored = conn.prepare_cached(&format!("{SELECT} WHERE message_id = ?1"))?;
                ids.iter()
                    .map(|id| stored.query_row([id], row).optional())
                    .collect()
            })
            .await?;
        rows.into_iter()
            .map(|row| Ok(rebuild(row.into_iter().collect())?.pop()))
            .collect()
    }

    async fn device_events(&self, anonymous_id: &str) -> Result<Vec<Message>, StoreError> {
        self.events_between(anonymous_id, i64::MIN, i64::MAX).await
    }

    async fn device_events_between(
        &self,
        anonymous_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Message>, StoreError> {
        self.events_between(anonymous_id, from.timestamp_millis(), to.timestamp_millis())
            .await
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

impl SqliteStore {
    async fn events_between(
        &self,
        anonymous_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Message>, StoreError> {
        self.index_devices().await?;
        let id = anonymous_id.to_owned();
        let rows = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(DEVICE_ROWS)?;
                collect(stmt.query_map(params![id, from, to], row)?)
            })
            .await?;
        rebuild(rows)
    }
}

/// An event's columns, as the writer inserts them.
struct Columns<'a> {
    message_id: &'a str,
    message_type: &'static str,
    anonymous_id: Option<&'a str>,
    user_id: Option<&'a str>,
    ts: i64,
    event: Option<&'a str>,
    /// Text is packed by `sma_pack` once there is a dictionary.
    raw: ValueRef<'a>,
}

/// An event made ready for the writer by the caller: its columns copied (not
/// the whole message) and its raw JSON packed, off the writer's thread.
struct NewRow {
    message_id: String,
    message_type: &'static str,
    anonymous_id: Option<String>,
    user_id: Option<String>,
    ts: i64,
    event: Option<String>,
    raw: Raw,
}

enum Raw {
    Text(String),
    Packed(Vec<u8>),
}

impl NewRow {
    fn of(m: &Message, packed: Option<Vec<u8>>) -> Self {
        NewRow {
            message_id: m.message_id.clone(),
            message_type: m.message_type.as_str(),
            anonymous_id: m.anonymous_id.clone(),
            user_id: m.user_id.clone(),
            ts: m.timestamp.timestamp_millis(),
            event: m.event.clone(),
            raw: packed.map_or_else(|| Raw::Text(m.raw.clone()), Raw::Packed),
        }
    }

    fn columns(&self) -> Columns<'_> {
        Columns {
            message_id: &self.message_id,
            message_type: self.message_type,
            anonymous_id: self.anonymous_id.as_deref(),
            user_id: self.user_id.as_deref(),
            ts: self.ts,
            event: self.event.as_deref(),
            raw: match &self.raw {
                Raw::Text(text) => ValueRef::Text(text.as_bytes()),
                Raw::Packed(packed) => ValueRef::Blob(packed),
            },
        }
    }
}

fn insert_columns<'a>(
    tx: &Connection,
    rows: impl Iterator<Item = Columns<'a>>,
) -> rusqlite::Result<Vec<bool>> {
    // A value packed already is stored as it is: `sma_pack` would only copy it.
    let mut pack = tx.prepare_cached(
        "INSERT INTO events (message_id, type, anonymous_id, user_id, ts, event, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, sma_pack(?7))
         ON CONFLICT (message_id) DO NOTHING",
    )?;
    let mut packed = tx.prepare_cached(
        "INSERT INTO events (message_id, type, anonymous_id, user_id, ts, event, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (message_id) DO NOTHING",
    )?;
    rows.map(|r| {
        let insert = match r.raw {
            ValueRef::Blob(_) => &mut packed,
            _ => &mut pack,
        };
        let n = insert.execute(params![
            r.message_id,
            r.message_type,
            r.anonymous_id,
            r.user_id,
            r.ts,
            r.event,
            ToSqlOutput::Borrowed(r.raw)
        ])?;
        Ok(n == 1)
    })
    .collect()
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

fn rebuild(rows: Vec<Row>) -> Result<Vec<Message>, StoreError> {
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
