//! Measured against Snowplow referer-parser's shared fixture `referer-tests.json`
//! (read at test time from the `referer-parser-rs` package, never vendored).
//!
//! Mapping of their mediums to our channels (Snowplow has one medium per referrer
//! kind; GA4 splits some of them):
//!
//! | Snowplow  | our channel(s)                                                    |
//! |-----------|-------------------------------------------------------------------|
//! | search    | Organic Search; Organic Shopping for product search engines       |
//! | social    | Organic Social; Organic Video for video platforms                |
//! | email     | Email                                                             |
//! | paid      | any paid channel (Display for ad servers, Paid Search for search ads) |
//! | chatbot   | AI Assistant                                                      |
//! | unknown   | Referral                                                          |
//!
//! Sources agree when the names match ignoring case and punctuation, or when their
//! name resolves through our aliases/hosts to the platform we named.

mod common;

use common::{package_dir, same_source};
use serde::Deserialize;
use sma_sources::{Channel, Config, detect};

#[derive(Debug, Deserialize)]
struct Case {
    spec: String,
    uri: String,
    medium: String,
    source: String,
    term: Option<String>,
}

/// Our channels for one of their mediums (see the table above).
pub fn channels_for(medium: &str) -> &'static [Channel] {
    use Channel::*;
    match medium {
        "search" => &[OrganicSearch, OrganicShopping],
        "social" => &[OrganicSocial, OrganicVideo],
        "email" => &[Email],
        "paid" => &[
            Display,
            PaidSearch,
            PaidShopping,
            PaidSocial,
            PaidVideo,
            PaidOther,
            CrossNetwork,
        ],
        "chatbot" => &[AiAssistant],
        "unknown" => &[Referral],
        other => panic!("unmapped Snowplow medium {other}"),
    }
}

fn cases() -> Vec<Case> {
    let path = package_dir("referer-parser-rs").join("tests/referer-tests.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture parses")
}

#[test]
fn snowplow_fixture_agrees_on_every_case() {
    let config = Config::default();
    let cases = cases();
    let mut agree = 0;
    let (mut terms, mut terms_agree) = (0, 0);
    let mut deviations = Vec::new();
    for case in &cases {
        let ours = detect(None, Some(&case.uri), &config);
        let channel_ok = channels_for(&case.medium).contains(&ours.channel);
        let source_ok = ours
            .source
            .as_deref()
            .is_some_and(|s| same_source(s, &case.source));
        let term_ok = ours.term == case.term;
        if case.term.is_some() {
            terms += 1;
            terms_agree += usize::from(term_ok);
        }
        if channel_ok && source_ok && term_ok {
            agree += 1;
        } else {
            deviations.push(format!(
                "{}: theirs {}/{}/{:?}, ours {}/{:?}/{:?} ({})",
                case.spec,
                case.medium,
                case.source,
                case.term,
                ours.channel,
                ours.source,
                ours.term,
                ours.rule
            ));
        }
    }
    println!(
        "snowplow referer-tests.json: {agree}/{} cases agree, {terms_agree}/{terms} search terms",
        cases.len()
    );
    for d in &deviations {
        println!("  deviation: {d}");
    }
    assert_eq!(cases.len(), 118, "fixture size changed");
    assert_eq!(terms, 16, "fixture terms changed");
    assert!(
        deviations.is_empty(),
        "{} deviations:\n{}",
        deviations.len(),
        deviations.join("\n")
    );
}

/// `(medium, source, domains)` of Snowplow's referers.yml. The file is GPL: it is
/// read from the registry copy at test time as an oracle and never shipped.
fn snowplow_database() -> Vec<(String, String, Vec<String>)> {
    let path = package_dir("referer-parser-rs").join("tests/referers.yml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut entries: Vec<(String, String, Vec<String>)> = Vec::new();
    let (mut medium, mut in_domains) = (String::new(), false);
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or_default().trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let item = line
            .trim()
            .trim_end_matches(':')
            .trim_matches('"')
            .to_owned();
        match indent {
            0 => medium = item,
            2 => entries.push((medium.clone(), item, Vec::new())),
            4 => in_domains = item == "domains",
            _ if in_domains => {
                let domain = item.trim_start_matches('-').trim().to_owned();
                entries
                    .last_mut()
                    .expect("a source before its domains")
                    .2
                    .push(domain);
            }
            _ => {}
        }
    }
    entries
}

/// Platforms of referers.yml we deliberately classify otherwise, with the reason.
const INTENDED: &[(&str, &str)] = &[
    (
        "social/Windows Live Spaces",
        "login.live.com is a sign-in host: a built-in referral exclusion",
    ),
    (
        "search/Comcast",
        "their only host is misspelled (serach.comcast.net); we know search.comcast.net",
    ),
    (
        "search/Trusted-Search",
        "their only host is misspelled (trusted--search.com); we know trusted-search.com",
    ),
    (
        "search/Digg",
        "digg.com is in GA4's social category: Organic Social",
    ),
    (
        "search/Indeed",
        "job board, not a web search engine: Referral, as in GA4",
    ),
    (
        "search/Monster",
        "job board, not a web search engine: Referral, as in GA4",
    ),
    (
        "search/StepStone",
        "job board, not a web search engine: Referral, as in GA4",
    ),
    ("search/kununu", "employer review site: Referral, as in GA4"),
    (
        "search/Marktplaats",
        "classifieds marketplace: Referral, as in GA4",
    ),
    (
        "paid/LowerMyBills",
        "lead-generation site: Referral; a paid placement is not visible in the referrer",
    ),
    (
        "paid/Mozo",
        "comparison site: Referral; a paid placement is not visible in the referrer",
    ),
    (
        "paid/White Pages",
        "directory: Referral; a paid listing is not visible in the referrer",
    ),
    (
        "paid/Price.ru",
        "price comparison marketplace: Organic Shopping (GA4's shopping category)",
    ),
    (
        "paid/Torg.Mail.ru",
        "price comparison marketplace: Organic Shopping (GA4's shopping category)",
    ),
    (
        "paid/Yandex.Market",
        "marketplace: Organic Shopping (GA4's shopping category)",
    ),
];

#[test]
fn every_platform_snowplow_knows_is_known_to_us() {
    let config = Config::default();
    let platforms: Vec<_> = snowplow_database()
        .into_iter()
        .filter(|(medium, _, _)| medium != "unknown")
        .collect();
    let mut missing = Vec::new();
    for (medium, source, domains) in &platforms {
        // Their domains include Android package names; try each as both.
        let covered = domains.iter().any(|domain| {
            ["http", "android-app"].iter().any(|scheme| {
                let ours = detect(None, Some(&format!("{scheme}://{domain}")), &config);
                channels_for(medium).contains(&ours.channel)
            })
        });
        if !covered {
            missing.push(format!("{medium}/{source}"));
        }
    }
    let covered = platforms.len() - missing.len();
    println!(
        "snowplow referers.yml: {covered}/{} platforms known with a matching channel",
        platforms.len()
    );
    for m in &missing {
        let why = INTENDED
            .iter()
            .find(|(name, _)| name == m)
            .map_or("NOT INTENDED", |(_, why)| why);
        println!("  differs: {m}: {why}");
    }
    let mut intended: Vec<String> = INTENDED
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    intended.sort();
    missing.sort();
    assert_eq!(
        missing, intended,
        "platforms we classify otherwise must be exactly the documented ones"
    );
}
