//! Many messages through the one pipeline: `sma import` (archives, batch by
//! batch) and `sma rebuild` (a store written by an earlier version, device by
//! device). Both store, link and derive as the batches come and settle the
//! ledgers of the journeys they touched once, at the end, rather than once per
//! batch: an import mostly writes journeys that each span many batches. The
//! `delete` messages of an import run at the end too, after everything else.

use sma_spec::{Deletion, Item, Message};
use sma_store::{Erased, Owner, Store, StoreError};

use crate::intake::split;
use crate::pipeline::{Dirty, Scope};
use crate::{App, IntakeError, IntakeSummary};

/// A bulk load in progress.
pub struct Bulk<'a, S> {
    app: &'a App<S>,
    dirty: Dirty,
    /// Touches derived that were not stored before.
    pub new_touches: u64,
    deletions: Vec<Deletion>,
}

/// What finishing a bulk load did.
#[derive(Debug, Default)]
pub struct Finished {
    /// Journeys whose ledger was settled.
    pub journeys: usize,
    /// `delete` messages run, and what they erased.
    pub deletions: usize,
    pub erased: Erased,
}

impl<S: Store> App<S> {
    /// Starts a bulk load; nothing is settled until [`Bulk::finish`].
    pub fn bulk(&self) -> Bulk<'_, S> {
        Bulk {
            app: self,
            dirty: Dirty::default(),
            new_touches: 0,
            deletions: Vec::new(),
        }
    }
}

impl<S: Store> Bulk<'_, S> {
    /// Stores a batch of an import, records its links and derives its
    /// devices' touches.
    pub async fn add(&mut self, items: Vec<Item>) -> Result<IntakeSummary, IntakeError> {
        let (mut summary, mut taken) = split(items);
        self.deletions.append(&mut taken.deletions);
        let intake = self.app.store_messages(&taken.messages).await?;
        let messages = summary.count(taken, &intake);
        self.run(&messages, false).await?;
        Ok(summary)
    }

    async fn run(&mut self, messages: &[Message], anew: bool) -> Result<(), StoreError> {
        self.app.link(messages, &mut self.dirty).await?;
        let new = if anew {
            self.app.rederive_devices(messages, &mut self.dirty).await?
        } else {
            self.app.derive_devices(messages, &mut self.dirty).await?
        };
        self.app.mark(messages, &mut self.dirty).await?;
        self.new_touches += new.len() as u64;
        Ok(())
    }

    /// Derives again, from everything stored, the devices and users of
    /// `owners`: what a store written by an earlier version holds without
    /// session state or markers. Their ledgers are settled by
    /// [`App::settle_journeys`].
    pub async fn rederive(&mut self, owners: &[Owner]) -> Result<(), StoreError> {
        let mut messages: Vec<Message> = Vec::new();
        for owner in owners {
            messages.extend(match owner {
                Owner::Device(device) => self.app.store.device_events(device).await?,
                Owner::User(user) => self.app.store.user_events(user, &[]).await?,
                // An account owns no message: its members' are theirs.
                Owner::Account(_) => Vec::new(),
            });
        }
        self.run(&messages, true).await
    }

    /// Settles the ledger of every journey the load touched, then erases
    /// the users its `delete` messages name.
    pub async fn finish(self) -> Result<Finished, StoreError> {
        let mut finished = Finished {
            journeys: self.app.settle(self.dirty).await?.journeys,
            ..Finished::default()
        };
        for deletion in &self.deletions {
            finished.erased += self.app.erase_user(&deletion.user_id).await?;
            finished.deletions += 1;
        }
        Ok(finished)
    }
}

impl<S: Store> App<S> {
    /// Settles the ledgers of these journeys in full (every conversion
    /// credited anew); a device that belongs to a user is its user's journey.
    pub async fn settle_journeys(&self, owners: &[Owner]) -> Result<usize, StoreError> {
        let mut dirty = Dirty::default();
        for owner in owners {
            dirty.mark(owner.clone(), Scope::All);
        }
        Ok(self.settle(dirty).await?.journeys)
    }
}
