//! Segment message types, and parsing and validation of the bodies Segment sends:
//! a classic webhook (one message), Webhooks (Actions) batching (a JSON array) and a
//! Tracking API body (`{"batch": [...]}`). Also the `X-Signature` check.
//!
//! Pure: no I/O. A body is split into its messages first; each message is then
//! validated on its own, so one bad message never loses the good ones beside it.

mod body;
mod bounds;
mod content;
mod ids;
mod loose;
mod message;
mod signature;
mod wire;

pub use body::{BodyError, Item, MAX_MESSAGE_BYTES, ParseOptions, Rejection, parse_body};
pub use bounds::{MAX_AHEAD, MAX_VALUE, earliest};
pub use content::{ContentDigest, Intake};
pub use ids::{IdentityLink, is_blocked_id};
pub use message::{Campaign, Deletion, MAX_MESSAGE_ID_CHARS, Message, MessageError, MessageType};
pub use signature::{sign, verify_signature};
