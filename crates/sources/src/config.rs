//! Per-deployment settings of source detection: the site's own domains
//! (`INTERNAL_DOMAINS`) and the hosts that never start a touch (`REFERRAL_EXCLUSIONS`).

use crate::fx::Map;
use crate::parse::split_url;

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

/// Detection settings. [`Config::default`] has no internal domains and the built-in
/// referral exclusions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Each host matches itself and all of its subdomains; internal wins over excluded.
    hosts: Map<String, HostKind>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hosts: Map::default(),
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
