//! The storage port of sma, and its adapters.
//!
//! The port is three narrow traits: [`EventStore`] (raw Segment messages,
//! idempotent by messageId), [`IdentityStore`] (anonymousId -> userId claims) and
//! [`TouchStore`] (touches derived per device). The adapters are
//! [`SqliteStore`] (embedded, the local default) and the DynamoDB adapter (AWS).
//! One contract test suite (`tests/contract`) runs unchanged against each.

#[cfg(feature = "dynamodb")]
mod dynamodb;
mod error;
mod identity;
mod sqlite;
mod touch;

use std::future::Future;

use sma_spec::{IdentityLink, Message};

#[cfg(feature = "dynamodb")]
pub use dynamodb::{DynamoStore, Tables, message_from_item, touch_from_item};
pub use error::StoreError;
pub use identity::{Conflict, LinkOutcome};
pub use sqlite::SqliteStore;
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

    /// The messages of one device (anonymousId), in time order.
    fn device_events(
        &self,
        anonymous_id: &str,
    ) -> impl Future<Output = Result<Vec<Message>, StoreError>> + Send;

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

    /// The touches of a device, in time order.
    fn device_touches(
        &self,
        device: &str,
    ) -> impl Future<Output = Result<Vec<TouchRecord>, StoreError>> + Send;
}

/// Everything the application needs from a store.
pub trait Store: EventStore + IdentityStore + TouchStore + Clone + 'static {}

impl<T: EventStore + IdentityStore + TouchStore + Clone + 'static> Store for T {}
