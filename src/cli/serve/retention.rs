//! The raw-event retention of `sma serve` (EVENTS_TTL_DAYS): a background
//! task expires the events older than the horizon at start and every hour.
//! The task lives as long as the guard [`start`] answers.

use std::time::Duration;

use sma_store_sqlite::SqliteStore;

/// How often the horizon moves on. An hour late is nothing against days.
const EVERY: Duration = Duration::from_secs(3600);

/// Aborts the task when dropped (with the server).
pub struct Retention(Option<tokio::task::JoinHandle<()>>);

impl Drop for Retention {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Starts expiring raw events `days` days old; `0` keeps them (no task).
pub fn start(store: SqliteStore, days: u32) -> Retention {
    if days == 0 {
        return Retention(None);
    }
    let keep = chrono::Duration::days(i64::from(days));
    Retention(Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            match store.expire_events(chrono::Utc::now() - keep).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, days, "raw events expired"),
                // Tried again at the next tick; nothing is lost meanwhile.
                Err(e) => tracing::warn!(error = %e, "raw events could not be expired"),
            }
        }
    })))
}
