use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sma_spec::IdentityLink;

use crate::SqliteStore;
use sma_store::{Claim, Conflict, IdentityStore, LinkOutcome, StoreError};

/// The owner of a device: its earliest claim. (`+?1`: see the module
/// documentation of [`super`].)
pub(crate) const OWNER: &str = "SELECT user_id FROM identity_claims WHERE anonymous_id = +?1
                     ORDER BY claimed_at, message_id LIMIT 1";

impl IdentityStore for SqliteStore {
    async fn link(
        &self,
        link: &IdentityLink,
        at: DateTime<Utc>,
        message_id: &str,
    ) -> Result<LinkOutcome, StoreError> {
        let claim = Claim {
            link: link.clone(),
            at,
            message_id: message_id.to_owned(),
        };
        let mut outcomes = self.link_all(std::slice::from_ref(&claim)).await?;
        Ok(outcomes.pop().expect("one outcome per claim"))
    }

    async fn link_all(&self, claims: &[Claim]) -> Result<Vec<LinkOutcome>, StoreError> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let claims = claims.to_vec();
        self.write(move |tx| claims.iter().map(|c| record(tx, c)).collect())
            .await
    }

    async fn user_of(&self, anonymous_id: &str) -> Result<Option<String>, StoreError> {
        let anon = anonymous_id.to_owned();
        self.run(move |conn| conn.query_row(OWNER, [anon], |r| r.get(0)).optional())
            .await
    }

    async fn devices_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let mut all = self.devices_of_users(&[user_id.to_owned()]).await?;
        Ok(all.pop().unwrap_or_default())
    }

    async fn users_of(&self, anonymous_ids: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        let ids = anonymous_ids.to_vec();
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(OWNER)?;
            ids.iter()
                .map(|id| stmt.query_row([id], |r| r.get(0)).optional())
                .collect()
        })
        .await
    }

    async fn devices_of_users(&self, user_ids: &[String]) -> Result<Vec<Vec<String>>, StoreError> {
        let users = user_ids.to_vec();
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT c.anonymous_id FROM identity_claims c
                 WHERE c.user_id = +?1 AND NOT EXISTS (
                   SELECT 1 FROM identity_claims e
                   WHERE e.anonymous_id = c.anonymous_id
                     AND (e.claimed_at, e.message_id) < (c.claimed_at, c.message_id))
                 ORDER BY c.anonymous_id",
            )?;
            users
                .iter()
                .map(|user| stmt.query_map([user], |r| r.get(0))?.collect())
                .collect()
        })
        .await
    }

    async fn conflicts_of(&self, user_id: &str) -> Result<Vec<Conflict>, StoreError> {
        let user = user_id.to_owned();
        self.run(move |conn| {
            // Every claim on a device this user claimed, each paired with the
            // device's owner; the owner's own claim is not a conflict.
            let mut stmt = conn.prepare_cached(
                "WITH devices AS (SELECT anonymous_id FROM identity_claims WHERE user_id = +?1),
                 owners AS (
                   SELECT d.anonymous_id,
                          (SELECT user_id FROM identity_claims o WHERE o.anonymous_id = d.anonymous_id
                           ORDER BY claimed_at, message_id LIMIT 1) AS owner
                   FROM devices d)
                 SELECT c.anonymous_id, o.owner, c.user_id, c.claimed_at, c.message_id
                 FROM identity_claims c JOIN owners o ON o.anonymous_id = c.anonymous_id
                 WHERE c.user_id <> o.owner
                 ORDER BY c.anonymous_id, c.claimed_at, c.message_id",
            )?;
            stmt.query_map([user], |r| {
                Ok(Conflict {
                    anonymous_id: r.get(0)?,
                    owner: r.get(1)?,
                    claimant: r.get(2)?,
                    claimed_at: DateTime::from_timestamp_millis(r.get(3)?).unwrap_or_default(),
                    message_id: r.get(4)?,
                })
            })?
            .collect()
        })
        .await
    }
}

/// Records one claim inside the writer's transaction.
pub(crate) fn record(tx: &Connection, claim: &Claim) -> rusqlite::Result<LinkOutcome> {
    let (anon, user) = (&claim.link.anonymous_id, &claim.link.user_id);
    let mut owner = tx.prepare_cached(OWNER)?;
    let before: Option<String> = owner.query_row([anon], |r| r.get(0)).optional()?;
    // A claim keeps its earliest evidence, so re-deliveries and later events of
    // the same pair change nothing.
    tx.prepare_cached(
        "INSERT INTO identity_claims (anonymous_id, user_id, claimed_at, message_id)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (anonymous_id, user_id) DO UPDATE SET
           claimed_at = excluded.claimed_at, message_id = excluded.message_id
         WHERE (excluded.claimed_at, excluded.message_id) < (claimed_at, message_id)",
    )?
    .execute(params![
        anon,
        user,
        claim.at.timestamp_millis(),
        claim.message_id
    ])?;
    let after: String = owner.query_row([anon], |r| r.get(0))?;
    Ok(match (before, after) {
        (Some(b), a) if b == a && &a == user => LinkOutcome::Unchanged,
        (_, owner) if &owner != user => LinkOutcome::Conflict { owner },
        (Some(previous), _) => LinkOutcome::TakenOver { previous },
        (None, _) => LinkOutcome::Linked,
    })
}
