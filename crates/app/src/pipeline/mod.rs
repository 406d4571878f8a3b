//! The one pipeline every shape runs on stored messages: the identity links
//! they assert, each device's touches derived from its session state, the
//! conversions and milestones they mark, and the ledger of every journey that
//! changed. `sma serve` runs it after intake, the Lambda stream consumers run
//! its steps ([`App::link_messages`] on identity-map, [`App::derive_messages`]
//! on the touches function), and `sma import` and `sma rebuild` run it on batches.
//!
//! Every step is idempotent (a message seen twice changes nothing the second
//! time), so a delivery retried after a failure half-way completes it, and
//! every write that could undo a concurrent one is conditional on the version
//! it was derived from: a step that loses reads and derives again.

mod accounts;
mod credits;
mod devices;
mod erase;
mod ledger;
mod plan;

pub(crate) use devices::time;

use std::collections::BTreeMap;

use sma_spec::Message;
use sma_store::{Claim, ConversionLedger, LinkOutcome, Owner, Store, StoreError, TouchRecord};

use crate::App;

/// What running the pipeline on some messages did.
#[derive(Debug, Default)]
pub struct Processed {
    /// Per identity claim, in order.
    pub links: Vec<(Claim, LinkOutcome)>,
    /// Touches that were not stored before (what real-time mode sends).
    pub new_touches: Vec<TouchRecord>,
    /// Journeys whose ledger was brought up to date.
    pub journeys: usize,
    /// Conversions credited anew, in the order they were stored.
    pub credits: Vec<CreditChange>,
}

/// A conversion's credits replaced: what real-time mode corrects and sends.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditChange {
    /// The credits stored before (`None`: the conversion is new).
    pub old: Option<ConversionLedger>,
    pub new: ConversionLedger,
}

/// What settling some journeys did.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    pub(crate) journeys: usize,
    pub(crate) credits: Vec<CreditChange>,
}

impl Processed {
    /// The users whose devices changed: each that gained a device, and each
    /// that lost one to an earlier claim. Their identify traits changed.
    pub fn linked_users(&self) -> std::collections::BTreeSet<String> {
        let mut users = std::collections::BTreeSet::new();
        for (claim, outcome) in &self.links {
            match outcome {
                LinkOutcome::Linked => {
                    users.insert(claim.link.user_id.clone());
                }
                LinkOutcome::TakenOver { previous } => {
                    users.insert(claim.link.user_id.clone());
                    users.insert(previous.clone());
                }
                LinkOutcome::Unchanged | LinkOutcome::Conflict { .. } => {}
            }
        }
        users
    }
}

/// Which part of a journey's ledger a change can move.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Scope {
    /// Only its open path (no conversion is affected).
    #[default]
    OpenPath,
    /// The conversions with a time in these ranges (epoch ms, inclusive),
    /// and the open path.
    Between(Vec<(i64, i64)>),
    /// Every conversion (the journey gained or lost a device).
    All,
    /// A device's own journey once the device belongs to a user: nothing is
    /// left open on it.
    Closed,
}

impl Scope {
    fn widen(&mut self, other: Scope) {
        *self = match (std::mem::take(self), other) {
            (Scope::All, _) | (_, Scope::All) => Scope::All,
            (Scope::Between(mut a), Scope::Between(b)) => {
                a.extend(b);
                Scope::Between(a)
            }
            (Scope::OpenPath | Scope::Closed, other) | (other, Scope::OpenPath | Scope::Closed) => {
                other
            }
        };
    }

    pub(crate) fn covers(&self, at: i64) -> bool {
        match self {
            Scope::OpenPath | Scope::Closed => false,
            Scope::All => true,
            Scope::Between(ranges) => ranges.iter().any(|&(a, b)| a <= at && at <= b),
        }
    }
}

/// The journeys a run changed, and how far, before owners are resolved: a
/// device's changes belong to whoever owns it once the links are recorded.
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    owners: BTreeMap<Owner, Scope>,
}

impl Dirty {
    pub(crate) fn mark(&mut self, owner: Owner, scope: Scope) {
        self.owners.entry(owner).or_default().widen(scope);
    }
}

impl<S: Store> App<S> {
    /// Runs the whole pipeline on stored messages (new or delivered again).
    pub async fn process(&self, messages: &[Message]) -> Result<Processed, StoreError> {
        let mut dirty = Dirty::default();
        let links = self.link(messages, &mut dirty).await?;
        let new_touches = self.derive(messages, &mut dirty).await?;
        let settled = self.settle(dirty).await?;
        Ok(Processed {
            links,
            new_touches,
            journeys: settled.journeys,
            credits: settled.credits,
        })
    }

    /// The identity-map step: records the links and account memberships the
    /// messages assert and brings the ledger of every journey that gained or lost a device up to
    /// date.
    pub async fn link_messages(&self, messages: &[Message]) -> Result<Processed, StoreError> {
        let mut dirty = Dirty::default();
        let links = self.link(messages, &mut dirty).await?;
        let settled = self.settle(dirty).await?;
        Ok(Processed {
            links,
            journeys: settled.journeys,
            credits: settled.credits,
            ..Processed::default()
        })
    }

    /// The touches step: derives the touches of the messages'
    /// devices, stores their conversions and milestones, and brings the ledger
    /// of every journey they changed up to date.
    pub async fn derive_messages(&self, messages: &[Message]) -> Result<Processed, StoreError> {
        // The stream hands each message over once it is stored: its screened
        // views are counted here (a batch Lambda retries may count twice).
        self.count_screened(messages).await?;
        let mut dirty = Dirty::default();
        let new_touches = self.derive(messages, &mut dirty).await?;
        let settled = self.settle(dirty).await?;
        Ok(Processed {
            new_touches,
            journeys: settled.journeys,
            credits: settled.credits,
            ..Processed::default()
        })
    }

    async fn derive(
        &self,
        messages: &[Message],
        dirty: &mut Dirty,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        let new_touches = self.derive_devices(messages, dirty).await?;
        self.mark(messages, dirty).await?;
        Ok(new_touches)
    }

    pub(crate) async fn link(
        &self,
        messages: &[Message],
        dirty: &mut Dirty,
    ) -> Result<Vec<(Claim, LinkOutcome)>, StoreError> {
        self.join_accounts(messages, dirty).await?;
        let claims = crate::intake::claims_of(messages);
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = self.store.link_all(&claims).await?;
        for (claim, outcome) in claims.iter().zip(&outcomes) {
            let device = &claim.link.anonymous_id;
            let previous = match outcome {
                LinkOutcome::Linked => Owner::Device(device.clone()),
                LinkOutcome::TakenOver { previous } => Owner::User(previous.clone()),
                LinkOutcome::Unchanged => continue,
                LinkOutcome::Conflict { owner } => {
                    tracing::warn!(
                        anonymous_id = %device,
                        owner = %owner,
                        claimant = %claim.link.user_id,
                        "identity conflict: device already belongs to another user"
                    );
                    continue;
                }
            };
            dirty.mark(previous, Scope::All);
            dirty.mark(Owner::User(claim.link.user_id.clone()), Scope::All);
        }
        Ok(claims.into_iter().zip(outcomes).collect())
    }
}
