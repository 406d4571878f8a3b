//! The schema, versioned with `PRAGMA user_version`: each migration runs once, in
//! order, in one transaction.

use rusqlite::Connection;

use super::path_days;
use crate::sql;
use sma_store::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: raw events and identity claims.
    "CREATE TABLE events (
        message_id   TEXT PRIMARY KEY,
        type         TEXT NOT NULL,
        anonymous_id TEXT,
        user_id      TEXT,
        ts           INTEGER NOT NULL, -- epoch milliseconds
        event        TEXT,             -- track name
        url          TEXT,
        referrer     TEXT,
        raw          TEXT NOT NULL     -- the message as received
    );
    CREATE INDEX events_by_device ON events (anonymous_id, ts) WHERE anonymous_id IS NOT NULL;
    CREATE INDEX events_by_user ON events (user_id, ts) WHERE user_id IS NOT NULL;
    CREATE TABLE identity_claims (
        anonymous_id TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        claimed_at   INTEGER NOT NULL, -- epoch milliseconds of the earliest claiming event
        message_id   TEXT NOT NULL,
        PRIMARY KEY (anonymous_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX identity_claims_by_user ON identity_claims (user_id);",
    // 2: derived touches, and a time index for reports.
    "CREATE TABLE touches (
        device     TEXT NOT NULL,
        message_id TEXT NOT NULL,   -- the page that started the touch
        ts         INTEGER NOT NULL, -- epoch milliseconds
        touch      TEXT NOT NULL,    -- JSON
        PRIMARY KEY (device, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX touches_by_time ON touches (device, ts);
    CREATE INDEX events_by_time ON events (ts);",
    // 3: a device's touches are found (and few enough to sort) through the
    // primary key; the second index only cost every touch write a page.
    "DROP INDEX IF EXISTS touches_by_time;",
    // 4: the dictionaries raw messages are packed with ([`crate::engine::packing`]).
    "CREATE TABLE raw_dictionaries (
        id         INTEGER PRIMARY KEY,
        dictionary BLOB NOT NULL -- zstd, trained on the events stored before it
    );",
    // 5: the page URL and referrer are read from the raw message; as columns
    // they were written for every event and never read.
    "ALTER TABLE events DROP COLUMN url;
    ALTER TABLE events DROP COLUMN referrer;",
    // 6: the attribution ledger. Each device's derivation state (touches are
    // derived from it view by view, not from the whole history); conversions
    // and milestones by carrier; each conversion's credits, one row per
    // credited touch; each journey's open path; and the per-day totals that
    // reports read, kept by differences. Versions make concurrent writers
    // conditional: a change applies only over the version it was derived from.
    // A store of an earlier version is brought up to date by `sma rebuild`.
    "CREATE TABLE device_states (
        device  TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state   TEXT NOT NULL     -- JSON, the domain's
    ) WITHOUT ROWID;
    CREATE TABLE markers (
        message_id TEXT PRIMARY KEY,
        carrier    TEXT NOT NULL,   -- 'dev:<anonymousId>' or 'usr:<userId>'
        kind       TEXT NOT NULL,   -- conversion, lead, opportunity
        ts         INTEGER NOT NULL,
        event      TEXT NOT NULL,
        value      REAL
    ) WITHOUT ROWID;
    CREATE INDEX markers_by_carrier ON markers (carrier, ts);
    CREATE TABLE conversions (
        message_id TEXT PRIMARY KEY,
        version    INTEGER NOT NULL,
        owner      TEXT NOT NULL,   -- 'dev:<anonymousId>' or 'usr:<userId>'
        event      TEXT NOT NULL,
        ts         INTEGER NOT NULL,
        value      REAL NOT NULL,
        path       TEXT NOT NULL    -- JSON array of channels
    ) WITHOUT ROWID;
    CREATE TABLE credits (
        conversion TEXT NOT NULL,
        device     TEXT NOT NULL,
        touch      TEXT NOT NULL,   -- messageId of the page that started it
        ts         INTEGER NOT NULL,
        channel    TEXT NOT NULL,
        source     TEXT,
        medium     TEXT,
        campaign   TEXT,
        credits    TEXT NOT NULL,   -- JSON object: model -> credit
        PRIMARY KEY (conversion, device, touch)
    ) WITHOUT ROWID;
    CREATE TABLE journeys (
        owner     TEXT PRIMARY KEY, -- 'dev:<anonymousId>' or 'usr:<userId>'
        version   INTEGER NOT NULL,
        open_day  TEXT,             -- YYYY-MM-DD of the open path's last touch
        open_path TEXT              -- JSON array of channels
    ) WITHOUT ROWID;
    CREATE TABLE credit_totals (
        model       TEXT NOT NULL,
        day         TEXT NOT NULL,  -- YYYY-MM-DD (UTC)
        channel     TEXT NOT NULL,
        campaign    TEXT NOT NULL,  -- '' when none
        conversions REAL NOT NULL,
        value       REAL NOT NULL,
        PRIMARY KEY (model, day, channel, campaign)
    ) WITHOUT ROWID;
    CREATE TABLE path_totals (
        day             TEXT NOT NULL,
        path            TEXT NOT NULL, -- JSON array of channels
        conversions     INTEGER NOT NULL,
        non_conversions INTEGER NOT NULL,
        value           REAL NOT NULL,
        PRIMARY KEY (day, path)
    ) WITHOUT ROWID;",
    // 7: what reports of paths and funnels read. Stores from before keep
    // 0 days and no funnel until `sma rebuild` settles them again.
    "ALTER TABLE path_totals ADD COLUMN days REAL NOT NULL DEFAULT 0;
    ALTER TABLE journeys ADD COLUMN funnel TEXT; -- JSON of the journey's funnel entry
    CREATE TABLE funnel_totals (
        day           TEXT NOT NULL,
        first         TEXT NOT NULL,
        last          TEXT NOT NULL,
        visits        INTEGER NOT NULL,
        leads         INTEGER NOT NULL,
        opportunities INTEGER NOT NULL,
        conversions   INTEGER NOT NULL,
        PRIMARY KEY (day, first, last)
    ) WITHOUT ROWID;",
    // 8: what credit events carry of their touch besides its source. Rows
    // from before read as none until `sma rebuild` credits them again.
    "ALTER TABLE credits ADD COLUMN term TEXT;
    ALTER TABLE credits ADD COLUMN content TEXT;
    ALTER TABLE credits ADD COLUMN landing_page TEXT;",
    // 9: page views kept from starting a touch, per day and reason.
    "CREATE TABLE screened_totals (
        day    TEXT NOT NULL,  -- YYYY-MM-DD (UTC)
        reason TEXT NOT NULL,  -- bot:<kind> or referrer_spam
        views  INTEGER NOT NULL,
        PRIMARY KEY (day, reason)
    ) WITHOUT ROWID;",
    // 10: what is kept of erased messages (a user deletion): the SHA-256 of
    // each messageId, so a late retry of one is not stored again.
    "CREATE TABLE erased (
        digest TEXT PRIMARY KEY -- hex
    ) WITHOUT ROWID;",
    // 11: account memberships (Segment groups), the earliest evidence of each.
    "CREATE TABLE memberships (
        account    TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        joined_at  INTEGER NOT NULL, -- epoch milliseconds
        message_id TEXT NOT NULL,
        PRIMARY KEY (account, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX memberships_by_user ON memberships (user_id);",
    // 12: ad spend as imported, per day and campaign, replaced by key.
    "CREATE TABLE spend (
        day      TEXT NOT NULL,  -- YYYY-MM-DD
        channel  TEXT NOT NULL,
        source   TEXT NOT NULL,  -- '' when none, as medium and campaign
        medium   TEXT NOT NULL,
        campaign TEXT NOT NULL,
        cost     REAL NOT NULL,  -- in currency
        currency TEXT NOT NULL,  -- the reporting currency it was converted to
        PRIMARY KEY (day, channel, source, medium, campaign)
    ) WITHOUT ROWID;",
    // 13: path totals packed per day, so a report reads a row per day rather
    // than one per (day, path); the rows of `path_totals` are packed into it
    // with schema 14.
    "CREATE TABLE path_days (
        day    TEXT PRIMARY KEY, -- YYYY-MM-DD (UTC)
        totals BLOB NOT NULL     -- every path's counts of the day (tables::path_days)
    );",
    // 14: an id per path, so a day packs each path as its id and a report sums
    // days into an array by id; every day is packed again ([`GIVE_PATH_IDS`]).
    "CREATE TABLE paths (
        id   INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE -- JSON array of channel labels
    );",
];

/// The migration after which path totals are packed by path id.
const GIVE_PATH_IDS: usize = 14;

pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sql)?;
    if version > MIGRATIONS.len() as i64 {
        return Err(StoreError::Backend(format!(
            "database schema version {version} is newer than this sma ({}); upgrade sma",
            MIGRATIONS.len()
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(sql)?;
        tx.execute_batch(migration).map_err(sql)?;
        if index + 1 == GIVE_PATH_IDS {
            path_days::give_ids(&tx).map_err(sql)?;
        }
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
    }
    Ok(())
}
