//! The storage port of sma: traits and the types they carry, nothing else.
//!
//! Five narrow traits, each a kind of data: [`EventStore`] (raw Segment
//! messages, idempotent by messageId), [`IdentityStore`] (anonymousId -> userId
//! claims), [`TouchStore`] (each device's derivation state and touches),
//! [`MarkerStore`] (conversions and milestones), [`LedgerStore`] (credits per
//! conversion and the totals reports read) and [`SpendStore`] (imported ad
//! spend); and [`ErasureStore`], which
//! removes a user from all of them. The store is passive: it runs no
//! domain rule. What must not be lost to a concurrent writer is written
//! conditionally on the version read ([`Versioned`]), the same on every
//! adapter.
//!
//! The adapters live in crates of their own: `sma-store-sqlite` (embedded, the
//! local default) and `sma-store-dynamodb` (AWS). Behind the `testing`
//! feature: one contract test kit ([`testing`]) that runs unchanged against
//! each, and [`memory::MemoryStore`], which passes it too, for tests of the
//! application.

mod account;
mod device;
mod erasure;
mod error;
mod identity;
mod json;
mod ledger;
mod marker;
#[cfg(feature = "testing")]
pub mod memory;
mod spend;
#[cfg(feature = "testing")]
pub mod testing;
mod touch;

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use sma_spec::{IdentityLink, Message};

pub use account::{AccountStore, Membership};
pub use device::{DeviceChange, Versioned};
pub use erasure::{Erased, Erasure, erased_digest};
pub use error::StoreError;
pub use identity::{Claim, Conflict, LinkOutcome};
pub use json::Json;
pub use ledger::{
    ConversionLedger, CreditDelta, CreditRow, CreditTotal, FunnelDelta, FunnelEntry, FunnelTotal,
    JourneyLedger, Labels, LedgerChange, LedgerEntry, LedgerKey, OpenPath, PathDelta, PathTotal,
    PathTotals, ScreenedTotal,
};
pub use marker::{Marker, MarkerKind};
pub use spend::{SpendKey, SpendRow};
pub use touch::{Owner, TouchRecord};

/// Raw Segment messages.
pub trait EventStore: Send + Sync {
    /// Stores messages, idempotently by messageId: answers, per message and in
    /// order, whether it was new. A message whose id is already stored changes
    /// nothing (Segment retries deliveries for hours).
    fn put_events(
        &self,
        messages: &[Message],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;

    /// Per message, in order, the message stored under its messageId, if any:
    /// what a queue in front of the store answers before it stores, and what
    /// a duplicate is compared with (a retry, or another message reusing the
    /// id). The DynamoDB store finds it under the message's key (its owner,
    /// time and messageId), how it stores messages once.
    fn stored_under(
        &self,
        messages: &[Message],
    ) -> impl Future<Output = Result<Vec<Option<Message>>, StoreError>> + Send;

    /// The messages of one device (anonymousId), in time order.
    fn device_events(
        &self,
        anonymous_id: &str,
    ) -> impl Future<Output = Result<Vec<Message>, StoreError>> + Send;

    /// The messages of one device with a time in `[from, to)`, in time order:
    /// the part of a history a late event can change.
    fn device_events_between(
        &self,
        anonymous_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Message>, StoreError>> + Send;

    /// The messages of a user: those carrying the userId and those of the given
    /// devices, in time order, each once.
    fn user_events(
        &self,
        user_id: &str,
        devices: &[String],
    ) -> impl Future<Output = Result<Vec<Message>, StoreError>> + Send;

    /// Every device (anonymousId) and every userId with a message in `[from, to)`
    /// (unbounded where `None`), each once, sorted.
    fn owners(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Vec<Owner>, StoreError>> + Send;
}

/// The identity map: which user each device belongs to.
///
/// Every link a message asserts is kept as a claim. A device belongs to the user of
/// its earliest claim (by event time, then messageId), so the answer does not depend
/// on the order deliveries arrive in; any other claim on that device is a conflict.
pub trait IdentityStore: Send + Sync {
    /// Records the claim that `link.anonymous_id` belongs to `link.user_id`.
    fn link(
        &self,
        link: &IdentityLink,
        at: DateTime<Utc>,
        message_id: &str,
    ) -> impl Future<Output = Result<LinkOutcome, StoreError>> + Send;

    /// Records several claims, in order, as [`IdentityStore::link`] would one by
    /// one; answers their outcomes in the same order. Adapters that can write
    /// them together (one transaction) do.
    fn link_all(
        &self,
        claims: &[Claim],
    ) -> impl Future<Output = Result<Vec<LinkOutcome>, StoreError>> + Send {
        async move {
            let mut outcomes = Vec::with_capacity(claims.len());
            for claim in claims {
                outcomes.push(self.link(&claim.link, claim.at, &claim.message_id).await?);
            }
            Ok(outcomes)
        }
    }

    /// The user a device belongs to, if any.
    fn user_of(
        &self,
        anonymous_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// The devices that belong to a user, sorted.
    fn devices_of(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// [`IdentityStore::user_of`] for several devices, in the order asked.
    /// Adapters that can read them together do.
    fn users_of(
        &self,
        anonymous_ids: &[String],
    ) -> impl Future<Output = Result<Vec<Option<String>>, StoreError>> + Send {
        async move {
            let mut users = Vec::with_capacity(anonymous_ids.len());
            for id in anonymous_ids {
                users.push(self.user_of(id).await?);
            }
            Ok(users)
        }
    }

    /// [`IdentityStore::devices_of`] for several users, in the order asked.
    /// Adapters that can read them together do.
    fn devices_of_users(
        &self,
        user_ids: &[String],
    ) -> impl Future<Output = Result<Vec<Vec<String>>, StoreError>> + Send {
        async move {
            let mut devices = Vec::with_capacity(user_ids.len());
            for id in user_ids {
                devices.push(self.devices_of(id).await?);
            }
            Ok(devices)
        }
    }

    /// Conflicting claims that involve this user: devices it claimed that belong to
    /// someone else, and claims by others on its devices.
    fn conflicts_of(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<Conflict>, StoreError>> + Send;
}

/// Each device's touch derivation: the state it left (the ATTRIBUTION table
/// on AWS holds both) and the touches it derived.
pub trait TouchStore: Send + Sync {
    /// The stored state of each device, in the order asked (`None`: none yet).
    fn device_states(
        &self,
        devices: &[String],
    ) -> impl Future<Output = Result<Vec<Option<Versioned<Json>>>, StoreError>> + Send;

    /// Applies each change whose device state is still at the version it
    /// names, each as a unit; answers per change, in order, whether it was
    /// applied (false: another writer got there first; read and derive again).
    fn commit_devices(
        &self,
        changes: &[DeviceChange],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;

    /// The touches of a device, in time order.
    fn device_touches(
        &self,
        device: &str,
    ) -> impl Future<Output = Result<Vec<TouchRecord>, StoreError>> + Send;

    /// The touches of a device started in `[from, to)`, in time order.
    fn device_touches_between(
        &self,
        device: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<TouchRecord>, StoreError>> + Send;

    /// [`TouchStore::device_touches_between`] for several (device, from, to),
    /// in the order asked. Adapters that can read them together do.
    fn touches_between(
        &self,
        ranges: &[(String, DateTime<Utc>, DateTime<Utc>)],
    ) -> impl Future<Output = Result<Vec<Vec<TouchRecord>>, StoreError>> + Send {
        async move {
            let mut touches = Vec::with_capacity(ranges.len());
            for (device, from, to) in ranges {
                touches.push(self.device_touches_between(device, *from, *to).await?);
            }
            Ok(touches)
        }
    }
}

/// Conversions and milestones, by carrier and time.
pub trait MarkerStore: Send + Sync {
    /// Stores markers, idempotently by messageId.
    fn put_markers(
        &self,
        markers: &[Marker],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The markers of any of `carriers` with a time in `[from, to)`, in
    /// `(timestamp, messageId)` order.
    fn markers_of(
        &self,
        carriers: &[Owner],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Marker>, StoreError>> + Send;
}

/// The attribution ledger: per-conversion credits, per-journey open paths, and
/// the per-day totals they add up to.
pub trait LedgerStore: Send + Sync {
    /// The stored ledger of each conversion (by messageId), in the order asked.
    fn conversion_ledgers(
        &self,
        conversions: &[String],
    ) -> impl Future<Output = Result<Vec<Option<Versioned<ConversionLedger>>>, StoreError>> + Send;

    /// The stored ledger of each journey, in the order asked.
    fn journey_ledgers(
        &self,
        owners: &[Owner],
    ) -> impl Future<Output = Result<Vec<Option<Versioned<JourneyLedger>>>, StoreError>> + Send;

    /// Applies each change whose entry is still at the version it names: the
    /// entry replaced and its deltas added to the totals, as a unit. Answers
    /// per change, in order, whether it was applied.
    fn commit_ledger(
        &self,
        changes: &[LedgerChange],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;

    /// What `model` credits each (day, channel, campaign) with a day in
    /// `[from, to)`, in (day, channel, campaign) order. A total that deltas
    /// brought back to (about) zero may be listed or left out.
    fn credit_totals(
        &self,
        model: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<CreditTotal>, StoreError>> + Send;

    /// The journeys counted on each path over the days of `[from, to)`, one
    /// total per path, in no particular order ([`PathTotals`]): what
    /// the data-driven models, the paths report and the funnel read, at a cost
    /// in the distinct paths rather than the journeys.
    fn path_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<PathTotals, StoreError>> + Send;

    /// The journeys counted on each (day, first channel, last channel) with a
    /// day in `[from, to)`, in that order. A total that deltas brought back to
    /// zero may be listed or left out.
    fn funnel_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<FunnelTotal>, StoreError>> + Send;

    /// Adds screened page views to their (day, reason) totals.
    fn add_screened(
        &self,
        counts: &[ScreenedTotal],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The screened page views of each (day, reason) with a day in `[from,
    /// to)`, in that order.
    fn screened_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<ScreenedTotal>, StoreError>> + Send;
}

/// Ad spend per day, channel and campaign, as imported.
pub trait SpendStore: Send + Sync {
    /// Stores each row in place of the one stored under its key; answers per
    /// row, in order, whether it replaced one (an earlier row of the same call
    /// included: the last of a key is what stays).
    fn put_spend(
        &self,
        rows: &[SpendRow],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;

    /// The rows with a day in `[from, to)`, in key order (`None` first).
    fn spend_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<SpendRow>, StoreError>> + Send;
}

/// Erasing users: what a Segment `delete` asks of every kind of data.
pub trait ErasureStore: Send + Sync {
    /// Removes what the erasure covers: the messages of the user and of its
    /// devices (keeping each one's [`erased_digest`]), the identity claims on
    /// either, the user's account memberships, the devices' states and
    /// touches, the markers they carry, and
    /// the ledger entries of its conversions and of the journeys of the user
    /// and of each device. Totals are left as they are: the application
    /// settles those entries to zero first. Erasing again removes nothing
    /// more.
    fn erase(&self, erasure: &Erasure) -> impl Future<Output = Result<Erased, StoreError>> + Send;

    /// Per messageId, in order, whether a message stored under it was erased.
    fn erased(
        &self,
        message_ids: &[String],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;
}

/// Everything the application needs from a store.
pub trait Store:
    EventStore
    + IdentityStore
    + AccountStore
    + TouchStore
    + MarkerStore
    + LedgerStore
    + SpendStore
    + ErasureStore
    + Clone
    + 'static
{
}

impl<T> Store for T where
    T: EventStore
        + IdentityStore
        + AccountStore
        + TouchStore
        + MarkerStore
        + LedgerStore
        + SpendStore
        + ErasureStore
        + Clone
        + 'static
{
}
