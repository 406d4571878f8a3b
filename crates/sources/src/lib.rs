//! Source detection: (page URL, referrer) -> [`Source`]. Pure, no I/O.
//!
//! Channels follow the GA4 default channel group, in its order, plus
//! [`Channel::AiAssistant`] and [`Channel::Internal`]. Campaign parameters (`utm_*`,
//! `context.campaign`) and click ids win over the referrer; a referrer is matched by
//! host against compiled-in platform data (search, social, video, shopping, webmail,
//! AI assistants, ad networks) by registrable domain and subdomain walk, never by
//! substring. Every [`Source`] says which rule decided it and carries the
//! [`ruleset`] version.
//!
//! [`Config::screen`] tells the page views that must never start a touch: known bots
//! by user agent ([`bot_kind`]) and referrer spam.
//!
//! ```
//! use sma_sources::{detect, Channel, Config};
//!
//! let config = Config::default().with_internal_domains(["example.com"]);
//! let s = detect(Some("https://example.com/"), Some("https://www.google.com/"), &config);
//! assert_eq!(s.channel, Channel::OrganicSearch);
//! assert_eq!(s.source.as_deref(), Some("google"));
//! ```

mod campaign;
mod channel;
mod config;
mod db;
mod detect;
mod domain;
mod fx;
mod known;
mod parse;
mod ruleset;
mod screen;
mod source;

pub use campaign::Campaign;
pub use config::Config;
pub use detect::{Visit, detect, detect_visit};
pub use known::{KnownSource, known_source, known_sources};
pub use ruleset::ruleset;
pub use screen::{BotKind, Screened, bot_kind};
pub use source::{Channel, Origin, Source};
