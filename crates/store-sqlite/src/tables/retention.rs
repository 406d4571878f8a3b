//! Retention of raw events (EVENTS_TTL_DAYS): what the DynamoDB table's TTL
//! does on AWS, done here by deleting old rows. Only `events` is touched:
//! touches, session states, identity claims, markers and the ledger stay, so
//! every answer derived from an expired event (a first touch, its credits)
//! remains.

use chrono::{DateTime, Utc};

use crate::SqliteStore;
use sma_store::StoreError;

/// Rows deleted per write: the writer's other callers wait for no longer.
const CHUNK: i64 = 5_000;

impl SqliteStore {
    /// Deletes the raw events with a time before `before`; answers how many.
    pub async fn expire_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = before.timestamp_millis();
        let mut expired = 0;
        loop {
            let deleted = self
                .write(move |tx| {
                    tx.execute(
                        "DELETE FROM events WHERE rowid IN
                         (SELECT rowid FROM events WHERE ts < ?1 LIMIT ?2)",
                        [before, CHUNK],
                    )
                })
                .await?;
            expired += deleted as u64;
            if (deleted as i64) < CHUNK {
                return Ok(expired);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use sma_store::EventStore;
    use sma_store::testing::page;

    #[tokio::test]
    async fn deletes_the_events_before_the_horizon_and_nothing_else() {
        let (_dir, _path, store) = crate::scratch_store();
        let pages = [
            page("m1", "a1", 1),
            page("m2", "a1", 2),
            page("m3", "a2", 3),
        ];
        store.put_events(&pages).await.unwrap();
        let horizon = pages[1].timestamp;
        assert_eq!(store.expire_events(horizon).await.unwrap(), 1);
        let left = store.device_events("a1").await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].message_id, "m2");
        assert_eq!(store.device_events("a2").await.unwrap().len(), 1);
        let later = Utc::now() + Duration::days(1);
        assert_eq!(store.expire_events(later).await.unwrap(), 2);
    }
}
