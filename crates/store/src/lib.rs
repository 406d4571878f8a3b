//! The storage port of sma, and its adapters.
//!
//! The port is three narrow traits: [`EventStore`] (raw Segment messages,
//! idempotent by messageId), [`IdentityStore`] (anonymousId -> userId claims) and,
//! for derived data, the touch store added with source detection. The adapters are
//! [`SqliteStore`] (embedded, the local default) and the DynamoDB adapter (AWS).
//! One contract test suite (`tests/contract`) runs unchanged against each.

mod error;
mod identity;
mod sqlite;

use std::future::Future;

use sma_spec::{IdentityLink, Message};

pub use error::StoreError;
pub use identity::{Conflict, LinkOutcome};
pub use sqlite::SqliteStore;

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

/// Everything the application needs from a store.
pub trait Store: EventStore + IdentityStore + Clone + 'static {}

impl<T: EventStore + IdentityStore + Clone + 'static> Store for T {}
