//! The storage port of sma: traits and the types they carry, nothing else.
//!
//! The port is three narrow traits: [`EventStore`] (raw Segment messages,
//! idempotent by messageId), [`IdentityStore`] (anonymousId -> userId claims) and
//! [`TouchStore`] (touches derived per device), with [`IntakeStore`] writing
//! one body's share of all three as a unit. The adapters live in crates of their
//! own: `sma-store-sqlite` (embedded, the local default) and
//! `sma-store-dynamodb` (AWS). One contract test kit ([`testing`], behind the
//! `testing` feature) runs unchanged against each.

mod error;
mod identity;
mod intake;
#[cfg(feature = "testing")]
pub mod testing;
mod touch;

use std::future::Future;

use sma_spec::{IdentityLink, Message};

pub use error::StoreError;
pub use identity::{Claim, Conflict, LinkOutcome};
pub use intake::{Applied, Applying, DeriveTouches, Intake, IntakeStore, Intaken};
pub use touch::{DeviceTouches, Owner, Replaced, TouchJson, TouchRecord};

/// Raw Segment messages.
pub trait EventStore: Send + Sync {
    /// Stores messages, idempotently by messageId: answers, per message and in
    /// order, whether it was new. A message whose id is already stored changes
    /// nothing (Segment retries deliveries for hours).
    fn put_events(
        &self,
        messages: &[Message],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;

    /// The messages of one device (anonymousId), in time order.
    fn device_events(
        &self,
        anonymous_id: &str,
    ) -> impl Future<Output = Result<Vec<Message>, StoreError>> + Send;

    /// The messages of each of several devices, as [`EventStore::device_events`]
    /// answers them, in the order of `anonymous_ids`. Adapters that can read them
    /// together (one call into the database) do.
    fn devices_events(
        &self,
        anonymous_ids: &[String],
    ) -> impl Future<Output = Result<Vec<Vec<Message>>, StoreError>> + Send {
        async move {
            let mut all = Vec::with_capacity(anonymous_ids.len());
            for id in anonymous_ids {
                all.push(self.device_events(id).await?);
            }
            Ok(all)
        }
    }

    /// The messages of a user: those carrying the userId and those of the given
    /// devices, in time order, each once.
    fn user_events(
        &self,
        user_id: &str,
        devices: &[String],
    ) -> impl Future<Output = Result<Vec<Message>, StoreError>> + Send;

    /// Every device (anonymousId) and every userId with a message in `[from, to)`
    /// (unbounded where `None`), each once, sorted: the journeys a report covers.
    fn owners(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> impl Future<Output = Result<Vec<Owner>, StoreError>> + Send;

    /// A bulk load (an import) begins: the store may put off upkeep that serves
    /// only reads the load itself does not make, and catch up on it in
    /// [`EventStore::end_bulk_load`] (or, should the load never end, when it
    /// is next opened). It may also commit the load's writes in fewer, larger
    /// transactions than one per call, at least every `commit_every`: a call
    /// then answers once applied, a kill can lose what was answered since the
    /// last commit (an idempotent load run again restores it), and the end
    /// answers whether everything was committed. Reads still see every write
    /// answered before them. By default nothing changes.
    fn begin_bulk_load(
        &self,
        commit_every: std::time::Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = commit_every;
        async { Ok(()) }
    }

    /// A bulk load has stored all its events (it writes only touches from now
    /// on): upkeep put off for events may be caught up now, beside the load's
    /// remaining work, rather than at its end. By default nothing happens.
    fn bulk_events_stored(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// Ends a bulk load: what [`EventStore::begin_bulk_load`] put off is done,
    /// and every write of the load is committed (or the error says it was not).
    fn end_bulk_load(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }
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
        at: chrono::DateTime<chrono::Utc>,
        message_id: &str,
    ) -> impl Future<Output = Result<LinkOutcome, StoreError>> + Send;

    /// Records several claims, in order, as [`IdentityStore::link`] would one by
    /// one; answers their outcomes in the same order. Adapters that can write
    /// them together (one transaction) do, which is what a bulk import needs.
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

    /// Conflicting claims that involve this user: devices it claimed that belong to
    /// someone else, and claims by others on its devices.
    fn conflicts_of(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<Conflict>, StoreError>> + Send;
}

/// Derived touches, per device (the ATTRIBUTION table on AWS).
///
/// Touches are recomputed from a device's whole history, so a late event can move
/// or remove one: the store replaces a device's set and reports which are new.
pub trait TouchStore: Send + Sync {
    /// Replaces the touches of `device` with `touches`; answers those whose
    /// messageId was not stored for it before (in the given order).
    fn replace_touches(
        &self,
        device: &str,
        touches: &[TouchRecord],
    ) -> impl Future<Output = Result<Vec<TouchRecord>, StoreError>> + Send;

    /// Replaces the touches of several devices, as [`TouchStore::replace_touches`]
    /// would one by one; answers the new touches of all of them. Adapters that
    /// can write them together (one transaction) do.
    fn replace_touches_of(
        &self,
        sets: &[(String, Vec<TouchRecord>)],
    ) -> impl Future<Output = Result<Vec<TouchRecord>, StoreError>> + Send {
        async move {
            let mut new = Vec::new();
            for (device, touches) in sets {
                new.extend(self.replace_touches(device, touches).await?);
            }
            Ok(new)
        }
    }

    /// Replaces the touches of each device whose stored event count is exactly
    /// the count the caller derived them from (so they were derived from the
    /// device's whole history), in one go; the others are left untouched and
    /// named in the answer, for the caller to refresh from the store.
    ///
    /// A bulk import derives touches from the events it stored itself, without
    /// reading them back. The default replaces nothing: an adapter without a
    /// cheap, consistent count leaves every device to the caller's refresh.
    fn replace_touches_where_complete(
        &self,
        sets: &[DeviceTouches],
    ) -> impl Future<Output = Result<Replaced, StoreError>> + Send {
        let incomplete = sets.iter().map(|s| s.device.clone()).collect();
        async move {
            Ok(Replaced {
                new_touches: 0,
                incomplete,
            })
        }
    }

    /// The touches of a device, in time order.
    fn device_touches(
        &self,
        device: &str,
    ) -> impl Future<Output = Result<Vec<TouchRecord>, StoreError>> + Send;
}

/// Everything the application needs from a store.
pub trait Store: IntakeStore + Clone + 'static {}

impl<T: IntakeStore + Clone + 'static> Store for T {}
