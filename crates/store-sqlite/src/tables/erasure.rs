//! Erasing a user: their rows deleted with `secure_delete` on, so SQLite
//! overwrites what they held with zeros, and the WAL truncated afterwards, so
//! no earlier page image of them is left in it either.

use rusqlite::{Connection, OptionalExtension};

use super::owner_key;
use crate::SqliteStore;
use sma_store::{Erased, Erasure, ErasureStore, Owner, StoreError, erased_digest};

impl ErasureStore for SqliteStore {
    async fn erase(&self, erasure: &Erasure) -> Result<Erased, StoreError> {
        let erasure = erasure.clone();
        let erased = self
            .write(move |tx| {
                tx.pragma_update(None, "secure_delete", true)?;
                let erased = erase(tx, &erasure);
                // Only erasure pays for zeroing: other writes free pages all
                // the time (touches and ledger rows are replaced).
                tx.pragma_update(None, "secure_delete", false)?;
                erased
            })
            .await?;
        // The WAL still holds the pages as they were before; a checkpoint
        // that truncates it copies the zeroed ones into the file and drops
        // the rest.
        if !self.run_committed(truncate_wal).await? {
            tracing::warn!("the WAL was not truncated after an erasure; later writes overwrite it");
        }
        Ok(erased)
    }

    async fn erased(&self, message_ids: &[String]) -> Result<Vec<bool>, StoreError> {
        let ids = message_ids.to_vec();
        self.run(move |conn| {
            // Most stores never erased anyone: no digest to work out.
            let none = conn
                .prepare_cached("SELECT 1 FROM erased LIMIT 1")?
                .query_row([], |_| Ok(()))
                .optional()?
                .is_none();
            if none {
                return Ok(vec![false; ids.len()]);
            }
            let mut stmt = conn.prepare_cached("SELECT 1 FROM erased WHERE digest = ?1")?;
            ids.iter()
                .map(|id| {
                    let found = stmt.query_row([erased_digest(id)], |_| Ok(())).optional()?;
                    Ok(found.is_some())
                })
                .collect()
        })
        .await
    }
}

/// Copies the WAL into the database and truncates it, waiting a little for
/// readers holding an older snapshot (a checkpoint cannot copy past them);
/// answers whether it got there.
fn truncate_wal(conn: &mut Connection) -> rusqlite::Result<bool> {
    for _ in 0..50 {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            return Ok(true);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(false)
}

fn erase(tx: &Connection, erasure: &Erasure) -> rusqlite::Result<Erased> {
    let user = erasure.user.as_str();
    // json_each binds a list as one parameter, however long.
    let devices = serde_json::to_string(&erasure.devices).expect("strings serialise");
    let owners: Vec<String> = erasure
        .devices
        .iter()
        .cloned()
        .map(Owner::Device)
        .chain([Owner::User(erasure.user.clone())])
        .map(|o| owner_key(&o))
        .collect();
    let owners = serde_json::to_string(&owners).expect("strings serialise");
    let conversions = serde_json::to_string(&erasure.conversions).expect("strings serialise");
    let accounts = serde_json::to_string(&erasure.accounts).expect("strings serialise");
    const LIST: &str = "(SELECT value FROM json_each(?1))";

    let mut ids: Vec<String> = Vec::new();
    for (sql, bound) in [
        (
            "SELECT message_id FROM events WHERE user_id = ?1".to_owned(),
            user,
        ),
        (
            format!("SELECT message_id FROM events WHERE anonymous_id IN {LIST}"),
            devices.as_str(),
        ),
    ] {
        let mut stmt = tx.prepare(&sql)?;
        for id in stmt.query_map([bound], |r| r.get::<_, String>(0))? {
            ids.push(id?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let mut keep = tx.prepare_cached("INSERT OR IGNORE INTO erased (digest) VALUES (?1)")?;
    for id in &ids {
        keep.execute([erased_digest(id)])?;
    }
    let delete = |sql: &str, bound: &str| tx.execute(sql, [bound]).map(|n| n as u64);
    let in_devices = |table: &str, column: &str| {
        delete(
            &format!("DELETE FROM {table} WHERE {column} IN {LIST}"),
            &devices,
        )
    };
    let events = delete("DELETE FROM events WHERE user_id = ?1", user)?
        + in_devices("events", "anonymous_id")?;
    let claims = delete("DELETE FROM identity_claims WHERE user_id = ?1", user)?
        + in_devices("identity_claims", "anonymous_id")?;
    let memberships = delete("DELETE FROM memberships WHERE user_id = ?1", user)?;
    in_devices("device_states", "device")?;
    let touches = in_devices("touches", "device")?;
    let markers = delete(
        &format!("DELETE FROM markers WHERE carrier IN {LIST}"),
        &owners,
    )? + tx.execute(
        "DELETE FROM markers WHERE message_id IN (SELECT value FROM json_each(?1))
         AND carrier IN (SELECT 'acc:' || value FROM json_each(?2))",
        [&conversions, &accounts],
    )? as u64;
    delete(
        &format!("DELETE FROM credits WHERE conversion IN {LIST}"),
        &conversions,
    )?;
    let ledger = delete(
        &format!("DELETE FROM conversions WHERE message_id IN {LIST}"),
        &conversions,
    )? + delete(
        &format!("DELETE FROM journeys WHERE owner IN {LIST}"),
        &owners,
    )?;
    debug_assert_eq!(events, ids.len() as u64);
    Ok(Erased {
        events,
        claims,
        memberships,
        touches,
        markers,
        ledger,
    })
}
