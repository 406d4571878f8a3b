//! One body's intake as one unit of work: its messages, the identity claims they
//! assert, and the touches of the devices it viewed, re-derived from each one's
//! whole history.

use std::future::Future;
use std::pin::Pin;

use sma_spec::Message;

use crate::{Claim, EventStore, IdentityStore, LinkOutcome, StoreError, TouchRecord, TouchStore};

/// What one body writes.
#[derive(Debug, Clone, Default)]
pub struct Intake {
    /// The messages, each messageId once.
    pub messages: Vec<Message>,
    /// The identity claims the messages assert, in order.
    pub claims: Vec<Claim>,
    /// The devices whose touches to re-derive once the messages are stored.
    pub devices: Vec<String>,
}

/// What [`IntakeStore::intake`] answers: which messages are new, at once, and
/// the rest of the work once it is applied.
pub struct Intaken {
    /// Per message, in order: new (false: its messageId was taken in before).
    pub inserted: Vec<bool>,
    /// Resolves once the claims and touches are stored too: at once where the
    /// store applies a body before it answers, later where it answers from its
    /// intake log (the embedded store under `sma serve`).
    pub applied: Applying,
}

/// The claims and touches of one intake, once stored.
pub type Applying = Pin<Box<dyn Future<Output = Result<Applied, StoreError>> + Send>>;

/// What applying one intake did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Per claim, in order.
    pub links: Vec<LinkOutcome>,
    /// The touches that were not stored before (what real-time mode sends).
    pub new_touches: Vec<TouchRecord>,
}

impl Intaken {
    /// An intake applied before it was answered.
    pub fn ready(inserted: Vec<bool>, applied: Applied) -> Intaken {
        Intaken {
            inserted,
            applied: Box::pin(std::future::ready(Ok(applied))),
        }
    }
}

impl std::fmt::Debug for Intaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intaken")
            .field("inserted", &self.inserted)
            .finish_non_exhaustive()
    }
}

/// Derives a device's touches from its whole history (its messages in time
/// order): the domain's rule, which the store runs where the history is.
pub trait DeriveTouches: Fn(&[Message]) -> Vec<TouchRecord> + Send + Sync + 'static {}

impl<F: Fn(&[Message]) -> Vec<TouchRecord> + Send + Sync + 'static> DeriveTouches for F {}

/// Intake as one store call.
pub trait IntakeStore: EventStore + IdentityStore + TouchStore {
    /// Stores the messages, records the claims, then replaces the touches of
    /// each of `intake.devices` with what `derive` makes of its whole history.
    ///
    /// The default makes the four calls in turn. An adapter with transactions
    /// does it in one: the caller waits for one commit instead of three, and a
    /// reader never sees a body's events without their touches.
    fn intake(
        &self,
        intake: Intake,
        derive: impl DeriveTouches,
    ) -> impl Future<Output = Result<Intaken, StoreError>> + Send {
        async move {
            let inserted = self.put_events(&intake.messages).await?;
            let links = self.link_all(&intake.claims).await?;
            let mut new_touches = Vec::new();
            if !intake.devices.is_empty() {
                let histories = self.devices_events(&intake.devices).await?;
                let sets: Vec<(String, Vec<TouchRecord>)> = intake
                    .devices
                    .into_iter()
                    .zip(histories)
                    .map(|(device, history)| {
                        let touches = derive(&history);
                        (device, touches)
                    })
                    .collect();
                new_touches = self.replace_touches_of(&sets).await?;
            }
            Ok(Intaken::ready(inserted, Applied { links, new_touches }))
        }
    }
}
