use std::sync::Arc;

use rusqlite::Connection;
use sma_spec::Message;

use crate::SqliteStore;
use crate::tables::{events, identity, touches};
use sma_store::{Applied, DeriveTouches, Intake, IntakeStore, Intaken, StoreError, TouchRecord};

/// [`DeriveTouches`] as the writer thread keeps it.
pub(super) type Derive = Arc<dyn Fn(&[Message]) -> Vec<TouchRecord> + Send + Sync>;

/// One transaction for a whole body: a reader sees the body's events, links and
/// touches together or not at all. With the intake log started the body is
/// answered once it is in the log, and applied by the writer after.
impl IntakeStore for SqliteStore {
    async fn intake(
        &self,
        intake: Intake,
        derive: impl DeriveTouches,
    ) -> Result<Intaken, StoreError> {
        if let Some(log) = self.intake_log.get() {
            return log.take_in(&self.writer, intake, Arc::new(derive)).await;
        }
        let (inserted, applied) = self.write(move |tx| store(tx, &intake, &derive)).await?;
        Ok(Intaken::ready(inserted, applied))
    }
}

/// Writes one intake in the writer's transaction; answers, per message,
/// whether it was new, and what the claims and touches came to.
pub(super) fn store(
    tx: &Connection,
    intake: &Intake,
    derive: &dyn Fn(&[Message]) -> Vec<TouchRecord>,
) -> rusqlite::Result<(Vec<bool>, Applied)> {
    let inserted = events::insert(tx, &intake.messages)?;
    let links = intake
        .claims
        .iter()
        .map(|claim| identity::record(tx, claim))
        .collect::<rusqlite::Result<_>>()?;
    let mut new_touches = Vec::new();
    for device in &intake.devices {
        // Read inside the transaction: the history includes this body.
        let history =
            events::rebuild(events::device_rows(tx, device)?).map_err(crate::abort_with)?;
        let derived: Vec<TouchRecord> = derive(&history);
        let before = touches::replace(tx, device, &touches::unpacked_rows(&derived))?;
        new_touches.extend(
            derived
                .into_iter()
                .filter(|t| !before.contains(&t.message_id)),
        );
    }
    Ok((inserted, Applied { links, new_touches }))
}
