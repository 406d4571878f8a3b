use super::{SqliteStore, events, identity, touches};
use crate::{DeriveTouches, Intake, IntakeStore, Intaken, StoreError, TouchRecord};

/// One transaction for a whole body: the caller waits for one commit, and a
/// reader sees the body's events, links and touches together or not at all.
impl IntakeStore for SqliteStore {
    async fn intake(
        &self,
        intake: Intake,
        derive: impl DeriveTouches,
    ) -> Result<Intaken, StoreError> {
        self.write(move |tx| {
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
                    events::rebuild(events::device_rows(tx, device)?).map_err(super::abort_with)?;
                let derived: Vec<TouchRecord> = derive(&history);
                let before = touches::replace(tx, device, &derived)?;
                new_touches.extend(
                    derived
                        .into_iter()
                        .filter(|t| !before.contains(&t.message_id)),
                );
            }
            Ok(Intaken {
                inserted,
                links,
                new_touches,
            })
        })
        .await
    }
}
