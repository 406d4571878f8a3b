//! The platforms the compiled-in host data knows, for callers that want to resolve a
//! name (`utm_source=fb`) or list what is covered.

use crate::channel::of_referrer;
use crate::db::{DB, Platform};
use crate::source::Channel;

/// A platform of the host data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownSource {
    /// Display name, e.g. `Google Images`.
    pub name: &'static str,
    /// The `source` value a referral from it gets (the name, lowercased).
    pub source: &'static str,
    /// The channel a referral from it gets.
    pub channel: Channel,
}

fn view(platform: &'static Platform) -> KnownSource {
    KnownSource {
        name: platform.name,
        source: &platform.source,
        channel: of_referrer(platform.category),
    }
}

/// Resolves a source name or alias (`google`, `fb`, `Google Images`) or a host/URL
/// (`m.facebook.com`, `https://chatgpt.com/`) to the platform it names.
pub fn known_source(name_or_host: &str) -> Option<KnownSource> {
    DB.lookup_name(name_or_host).map(|i| view(DB.platform(i)))
}

/// Every known platform, in data order.
pub fn known_sources() -> impl Iterator<Item = KnownSource> {
    DB.platforms().iter().map(view)
}
