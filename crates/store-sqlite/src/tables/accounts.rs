//! Account memberships: one row per (account, user), the earliest evidence
//! kept.

use chrono::DateTime;
use rusqlite::params;

use crate::SqliteStore;
use sma_store::{AccountStore, Membership, StoreError};

impl AccountStore for SqliteStore {
    async fn join(&self, memberships: &[Membership]) -> Result<(), StoreError> {
        if memberships.is_empty() {
            return Ok(());
        }
        let memberships = memberships.to_vec();
        self.write(move |tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO memberships (account, user_id, joined_at, message_id)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account, user_id) DO UPDATE
                 SET joined_at = excluded.joined_at, message_id = excluded.message_id
                 WHERE (excluded.joined_at, excluded.message_id) < (joined_at, message_id)",
            )?;
            for m in &memberships {
                upsert.execute(params![
                    m.account,
                    m.user_id,
                    m.at.timestamp_millis(),
                    m.message_id
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn members_of(&self, account: &str) -> Result<Vec<Membership>, StoreError> {
        let account = account.to_owned();
        let rows: Vec<(String, String, i64, String)> = self
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT account, user_id, joined_at, message_id FROM memberships
                     WHERE account = ?1 ORDER BY user_id",
                )?;
                stmt.query_map([account], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect()
            })
            .await?;
        rows.into_iter()
            .map(|(account, user_id, at, message_id)| {
                Ok(Membership {
                    account,
                    user_id,
                    at: DateTime::from_timestamp_millis(at)
                        .ok_or_else(|| StoreError::Corrupt(format!("membership time {at}")))?,
                    message_id,
                })
            })
            .collect()
    }

    async fn accounts_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let user = user_id.to_owned();
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT account FROM memberships WHERE user_id = ?1 ORDER BY account",
            )?;
            stmt.query_map([user], |r| r.get(0))?.collect()
        })
        .await
    }
}
