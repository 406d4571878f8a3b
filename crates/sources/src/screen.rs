//! Page views that must never start a touch although they look like visits: bots
//! (by user agent) and referrer spam (by referrer host).
//!
//! Whether a user agent is a bot is decided by the isbot crate's maintained pattern
//! list, never by patterns of our own; we only name the kind of bot it flagged, so
//! that the counts say what was dropped. Referrer spam is decided by a list in the
//! format of Matomo's community list (`spammers.txt`, one host per line), which the
//! deployment supplies: no package registry carries a maintained copy.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::fx::Map;
use crate::parse::split_url;

/// What kind of automated client a bot's user agent names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotKind {
    /// A headless or automated browser (HeadlessChrome, PhantomJS, Lighthouse …).
    Headless,
    /// A link preview fetcher (facebookexternalhit, Slackbot, Twitterbot …).
    Preview,
    /// A crawler or spider (Googlebot, GPTBot, AhrefsBot …).
    Crawler,
    /// Anything else the list knows: HTTP libraries, monitors, feed readers.
    Automated,
}

impl BotKind {
    /// The label used in counts and reports, e.g. `crawler`.
    pub fn as_str(self) -> &'static str {
        match self {
            BotKind::Headless => "headless",
            BotKind::Preview => "preview",
            BotKind::Crawler => "crawler",
            BotKind::Automated => "automated",
        }
    }
}

impl std::fmt::Display for BotKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

static BOTS: LazyLock<isbot::Bots> = LazyLock::new(isbot::Bots::default);

/// Words that tell the kinds apart once the list has said "bot", checked in order:
/// a headless browser or a preview fetcher often also calls itself a bot.
const KINDS: [(BotKind, &[&str]); 3] = [
    (
        BotKind::Headless,
        &[
            "headless",
            "phantomjs",
            "slimerjs",
            "selenium",
            "webdriver",
            "puppeteer",
            "playwright",
            "lighthouse",
        ],
    ),
    (
        BotKind::Preview,
        &[
            "preview",
            "facebookexternalhit",
            "facebookcatalog",
            "slack",
            "twitterbot",
            "discordbot",
            "whatsapp",
            "telegrambot",
            "linkedinbot",
            "pinterest",
            "redditbot",
            "embedly",
            "iframely",
            "vkshare",
            "skypeuri",
        ],
    ),
    (
        BotKind::Crawler,
        &["bot", "crawl", "spider", "slurp", "archiver"],
    ),
];

/// The kind of bot `user_agent` is, or `None` for a browser. A blank user agent is
/// no evidence: server-side and imported events often carry none.
pub fn bot_kind(user_agent: &str) -> Option<BotKind> {
    let user_agent = user_agent.trim();
    if user_agent.is_empty() || !BOTS.is_bot(user_agent) {
        return None;
    }
    let lower = user_agent.to_ascii_lowercase();
    let kind = KINDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map_or(BotKind::Automated, |(kind, _)| *kind);
    Some(kind)
}

/// Referrer spam hosts; each covers its subdomains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SpamList {
    hosts: Map<String, ()>,
}

impl SpamList {
    /// Adds the hosts of a list in `spammers.txt` format: one host per line; blank
    /// lines and `#` comments are skipped, entries may also be URLs.
    pub(crate) fn extend(&mut self, text: &str) {
        let hosts = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty())
            .filter_map(|entry| split_url(entry).host.map(|h| h.into_owned()));
        self.hosts.extend(hosts.map(|h| (h, ())));
    }

    pub(crate) fn len(&self) -> usize {
        self.hosts.len()
    }

    /// True when the host of `referrer` (a URL or a bare host) or a parent domain of
    /// it is on the list.
    pub(crate) fn contains(&self, referrer: &str) -> bool {
        let Some(host) = split_url(referrer).host else {
            return false;
        };
        std::iter::once(&*host)
            .chain(host.match_indices('.').map(|(i, _)| &host[i + 1..]))
            .any(|candidate| self.hosts.contains_key(candidate))
    }
}

/// Why a page view must not start a touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "kind")]
pub enum Screened {
    /// The user agent is a known bot of this kind.
    Bot(BotKind),
    /// The referrer host is on the referrer spam list.
    ReferrerSpam,
}

impl Screened {
    /// The label used in counts and reports: `bot:crawler`, `referrer_spam`.
    pub fn label(self) -> String {
        match self {
            Screened::Bot(kind) => format!("bot:{kind}"),
            Screened::ReferrerSpam => "referrer_spam".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spam_list_reads_matomos_format_and_matches_by_domain() {
        let mut list = SpamList::default();
        list.extend("seo-offers.example\n\n# comment\n  https://Traffic.Example.net/x  \n");
        assert_eq!(list.len(), 2);
        assert!(list.contains("seo-offers.example"));
        assert!(list.contains("https://www.seo-offers.example/page?x=1"));
        assert!(list.contains("http://traffic.example.net/"));
        assert!(!list.contains("https://example.net/"));
        assert!(!list.contains("https://notseo-offers.example/"));
        assert!(!list.contains("DIRECT"));
    }
}
