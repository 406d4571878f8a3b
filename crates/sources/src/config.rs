//! Per-deployment settings of source detection: the site's own domains
//! (`INTERNAL_DOMAINS`) and the hosts that never start a touch (`REFERRAL_EXCLUSIONS`).

use crate::fx::Map;
use crate::parse::split_url;
use crate::screen::{Screened, SpamList, bot_kind};

/// Built-in referral exclusions: payment, checkout, 3-D Secure and login hosts that
/// send a visitor back to the site in the middle of a visit.
pub(crate) const DEFAULT_EXCLUSIONS: &str = include_str!("../data/referral_exclusions.txt");

/// What a configured host is to the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    /// One of the site's own domains (`INTERNAL_DOMAINS`).
    Internal,
    /// A referral exclusion (built in or `REFERRAL_EXCLUSIONS`).
    Excluded,
}

/// Normalises a configured entry given as a host, `*.host`, or a URL.
fn entry_host(entry: &str) -> Option<String> {
    let entry = entry
        .trim()
        .trim_start_matches("*.")
        .trim_start_matches('.');
    split_url(entry).host.map(|h| h.into_owned())
}

/// Detection settings. [`Config::default`] has no internal domains, the built-in
/// referral exclusions, the bot filter on and an empty referrer spam list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Each host matches itself and all of its subdomains; internal wins over excluded.
    hosts: Map<String, HostKind>,
    filter_bots: bool,
    spam: SpamList,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hosts: Map::default(),
            filter_bots: true,
            spam: SpamList::default(),
        }
        .with_referral_exclusions(Config::default_referral_exclusions())
    }
}

impl Config {
    /// The built-in referral exclusions (hosts; each covers its subdomains).
    pub fn default_referral_exclusions() -> impl Iterator<Item = &'static str> {
        DEFAULT_EXCLUSIONS
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty())
    }

    /// Adds the site's own domains (`INTERNAL_DOMAINS`): a referrer on any of them,
    /// or a subdomain of one, is internal navigation. Hosts, `*.host` or URLs.
    pub fn with_internal_domains<I, S>(mut self, domains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for host in domains.into_iter().filter_map(|d| entry_host(d.as_ref())) {
            self.hosts.insert(host, HostKind::Internal);
        }
        self
    }

    /// Adds referral exclusions (`REFERRAL_EXCLUSIONS`) to the built-in ones.
    pub fn with_referral_exclusions<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for host in hosts.into_iter().filter_map(|h| entry_host(h.as_ref())) {
            self.hosts.entry(host).or_insert(HostKind::Excluded);
        }
        self
    }

    /// Drops every referral exclusion added so far, the built-in ones included;
    /// exclusions added afterwards apply.
    pub fn without_default_exclusions(mut self) -> Self {
        self.hosts.retain(|_, kind| *kind == HostKind::Internal);
        self
    }

    /// Turns the bot filter off: [`Config::screen`] then lets every user agent through
    /// (for sites whose own monitoring must count, or to compare).
    pub fn without_bot_filter(mut self) -> Self {
        self.filter_bots = false;
        self
    }

    /// True unless [`Config::without_bot_filter`] was applied.
    pub fn filters_bots(&self) -> bool {
        self.filter_bots
    }

    /// Adds a referrer spam list in the format of Matomo's community list
    /// (`spammers.txt`: one host per line; each covers its subdomains).
    pub fn with_referrer_spam_list(mut self, text: &str) -> Self {
        self.spam.extend(text);
        self
    }

    /// How many hosts the referrer spam list holds.
    pub fn referrer_spam_hosts(&self) -> usize {
        self.spam.len()
    }

    /// True when the host of `referrer` (a URL or a host) is on the spam list.
    pub fn is_referrer_spam(&self, referrer: &str) -> bool {
        self.spam.contains(referrer)
    }

    /// Why a page view with this `context.userAgent` and referrer must never start a
    /// touch, or `None` when it may. A bot wins over spam: it is the likelier sender.
    pub fn screen(&self, user_agent: Option<&str>, referrer: Option<&str>) -> Option<Screened> {
        let bot = user_agent
            .filter(|_| self.filter_bots)
            .and_then(bot_kind)
            .map(Screened::Bot);
        bot.or_else(|| {
            referrer
                .filter(|r| self.is_referrer_spam(r))
                .map(|_| Screened::ReferrerSpam)
        })
    }

    /// True when `host` is one of the site's own domains (or a subdomain of one).
    pub fn is_internal(&self, host: &str) -> bool {
        self.host_kind(host) == Some(HostKind::Internal)
    }

    /// True when a referral from `host` must never start a touch.
    pub fn is_excluded(&self, host: &str) -> bool {
        self.host_kind(host) == Some(HostKind::Excluded)
    }

    /// What `host` or its nearest configured parent domain is, in one walk.
    pub(crate) fn host_kind(&self, host: &str) -> Option<HostKind> {
        std::iter::once(host)
            .chain(host.match_indices('.').map(|(i, _)| &host[i + 1..]))
            .find_map(|candidate| self.hosts.get(candidate).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_cover_subdomains_but_not_lookalikes() {
        let config = Config::default().with_internal_domains([
            "Example.com",
            "https://app.example.io/login",
            "*.docs.example.net",
        ]);
        assert!(config.is_internal("example.com"));
        assert!(config.is_internal("www.example.com"));
        assert!(config.is_internal("app.example.io"));
        assert!(config.is_internal("eu.docs.example.net"));
        assert!(!config.is_internal("example.io"));
        assert!(!config.is_internal("notexample.com"));
        assert!(!config.is_internal("example.com.evil.org"));
    }

    #[test]
    fn default_exclusions_can_be_extended_or_dropped() {
        let config = Config::default();
        assert!(config.is_excluded("checkout.stripe.com"));
        assert!(config.is_excluded("www.paypal.com"));
        assert!(config.is_excluded("accounts.google.com"));
        assert!(!config.is_excluded("www.google.com"));
        let config = config.with_referral_exclusions(["sso.example.org"]);
        assert!(config.is_excluded("sso.example.org"));
        let config = config.without_default_exclusions();
        assert!(!config.is_excluded("checkout.stripe.com"));
    }
}
