//! Source detection: (page URL, referrer) -> [`Source`]. Pure, no I/O.
//!
//! Channels follow the GA4 default channel group, in its order, plus
//! [`Channel::AiAssistant`] and [`Channel::Internal`].

mod source;

pub use source::{Channel, Origin, Source};
