//! Source detection on arbitrary page URLs, referrers, `context.campaign` values
//! and settings: never panics, is deterministic, and its answer is consistent.
//!
//! Input: newline-separated fields `url`, `referrer`, campaign `source`, `medium`,
//! `name`, `term`, `content`, `id`, then an INTERNAL_DOMAINS entry and a
//! REFERRAL_EXCLUSIONS entry. A missing line is an absent value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sma_sources::{Campaign, Channel, Config, Origin, Visit, detect, detect_visit, ruleset};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\n');
    let mut next = || fields.next();
    let (url, referrer) = (next(), next());
    let campaign = Campaign {
        source: next(),
        medium: next(),
        name: next(),
        term: next(),
        content: next(),
        id: next(),
    };
    let mut config = Config::default();
    if let Some(internal) = next() {
        config = config.with_internal_domains([internal]);
    }
    if let Some(excluded) = next() {
        config = config.with_referral_exclusions([excluded]);
    }
    if let Some(host) = referrer {
        let _ = (config.is_internal(host), config.is_excluded(host));
    }

    let plain = detect(url, referrer, &config);
    assert_eq!(plain, detect(url, referrer, &config), "deterministic");
    let visit = Visit {
        url,
        referrer,
        campaign,
    };
    let full = detect_visit(&visit, &config);
    assert_eq!(full, detect_visit(&visit, &config), "deterministic");
    if campaign == Campaign::default() {
        assert_eq!(plain, full);
    }
    for source in [&plain, &full] {
        assert_eq!(source.ruleset, ruleset());
        assert!(!source.rule.is_empty());
        assert_eq!(
            source.channel == Channel::Internal,
            source.origin == Origin::Internal
        );
        if source.origin == Origin::Direct {
            assert_eq!(source.channel, Channel::Direct);
        }
        if let Some(host) = &source.referrer_host {
            assert_eq!(host, &host.to_ascii_lowercase(), "hosts are lowercase");
        }
        assert_eq!(
            Channel::from_label(source.channel.as_str()),
            Some(source.channel)
        );
    }
});
