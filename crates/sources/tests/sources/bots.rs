//! Bots and referrer spam. The bot list is scored against the fixtures the isbot
//! package ships (read from its registry copy at test time, never copied here).

use std::path::Path;

use crate::common::package_dir;
use sma_sources::{BotKind, Config, Screened, bot_kind};

/// User agents of a fixture: one a line (quotes stripped), or a JSON array of strings.
fn fixture(name: &str) -> Vec<String> {
    let path = package_dir("isbot").join("fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if Path::new(name).extension().is_some_and(|e| e == "json") {
        return serde_json::from_str(&text).expect("fixture parses");
    }
    text.lines()
        .map(|line| line.trim().trim_matches('"').to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

/// Prints and returns how many of a fixture's user agents are flagged as bots.
fn flagged(name: &str) -> (usize, usize) {
    let agents = fixture(name);
    let bots = agents.iter().filter(|ua| bot_kind(ua).is_some()).count();
    println!(
        "isbot fixtures/{name}: {bots}/{} flagged as bots",
        agents.len()
    );
    (bots, agents.len())
}

#[test]
fn every_bot_of_the_packages_fixtures_is_a_bot() {
    for name in ["bots.txt", "ua-parser-bots.json"] {
        let (bots, all) = flagged(name);
        assert_eq!(bots, all, "{name}");
    }
}

#[test]
fn live_bots_of_the_packages_fixtures_are_mostly_bots() {
    // A list of user agents seen from bot IPs, some of them spoofed browsers.
    let (bots, all) = flagged("myip-ms-live-bots.json");
    assert!(bots * 100 >= all * MYIP_PERCENT_FLOOR, "{bots}/{all}");
}

/// Floor measured with isbot 0.1.3.
const MYIP_PERCENT_FLOOR: usize = 96;

#[test]
fn browsers_of_the_packages_fixtures_are_not_bots() {
    // Ceilings: the figures measured with isbot 0.1.3.
    for (name, max_flagged) in [
        ("browsers.txt", 0),
        ("ua-parser-browsers.json", 0),
        ("omrilotan-browsers.json", 0),
    ] {
        let (bots, all) = flagged(name);
        assert!(
            bots <= max_flagged,
            "{name}: {bots}/{all} browsers flagged as bots"
        );
    }
}

#[test]
fn bots_are_named_by_kind() {
    let cases = [
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            BotKind::Crawler,
        ),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            BotKind::Crawler,
        ),
        (
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            BotKind::Preview,
        ),
        (
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            BotKind::Preview,
        ),
        ("Twitterbot/1.0", BotKind::Preview),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
            BotKind::Headless,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.97 Safari/537.36 Chrome-Lighthouse",
            BotKind::Headless,
        ),
        ("curl/8.5.0", BotKind::Automated),
    ];
    let crawlers = [
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    ];
    for ua in crawlers {
        assert_eq!(bot_kind(ua), Some(BotKind::Crawler), "{ua}");
    }
    for (ua, kind) in cases {
        assert_eq!(bot_kind(ua), Some(kind), "{ua}");
    }
    for browser in [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "",
        "   ",
    ] {
        assert_eq!(bot_kind(browser), None, "{browser:?}");
    }
}

#[test]
fn screen_drops_bots_unless_turned_off_and_spam_referrers() {
    let googlebot = Some("Googlebot/2.1 (+http://www.google.com/bot.html)");
    let browser = Some(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    );
    let config = Config::default().with_referrer_spam_list("seo-offers.example\n");
    assert_eq!(
        config.screen(googlebot, None),
        Some(Screened::Bot(BotKind::Crawler))
    );
    assert_eq!(
        config.screen(browser, Some("https://www.seo-offers.example/x")),
        Some(Screened::ReferrerSpam)
    );
    assert_eq!(
        config.screen(browser, Some("https://www.google.com/")),
        None
    );
    assert_eq!(config.screen(None, None), None);
    assert_eq!(Screened::Bot(BotKind::Preview).label(), "bot:preview");
    assert_eq!(Screened::ReferrerSpam.label(), "referrer_spam");
    let off = config.without_bot_filter();
    assert!(!off.filters_bots());
    assert_eq!(off.screen(googlebot, None), None);
    // The spam list still applies with the bot filter off.
    assert_eq!(
        off.screen(googlebot, Some("seo-offers.example")),
        Some(Screened::ReferrerSpam)
    );
    assert_eq!(off.referrer_spam_hosts(), 1);
    assert_eq!(Config::default().referrer_spam_hosts(), 0);
}
