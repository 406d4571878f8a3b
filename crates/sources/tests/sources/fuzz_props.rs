//! Property versions of the `detect` fuzz target's rules beyond "never panics"
//! (`props.rs`): campaign parameters beat any referrer and any `context.campaign`,
//! a referrer's host is matched case-, port-, userinfo- and trailing-dot-blind but
//! never by substring, and configured internal domains cover their subdomains.

use proptest::prelude::*;
use sma_sources::{Campaign, Channel, Config, Origin, Visit, detect, detect_visit};

/// Any referrer: absent, URL-shaped or arbitrary text.
fn referrer() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "(https?://)?(www\\.)?(google|bing|t|facebook|chatgpt|example|stripe|acme)\\.(com|co\\.uk|co|ai|io)(/[a-z?=&]{0,12})?",
        "[a-zA-Z0-9:/.?=&%-]{0,40}",
        any::<String>(),
    ])
}

fn context_campaign() -> impl Strategy<Value = [Option<String>; 6]> {
    prop::array::uniform6(prop::option::of("[ -~]{0,12}"))
}

/// Hosts the platform data knows, of several categories.
const KNOWN: [&str; 10] = [
    "google.com",
    "bing.com",
    "duckduckgo.com",
    "facebook.com",
    "t.co",
    "linkedin.com",
    "youtube.com",
    "chatgpt.com",
    "perplexity.ai",
    "reddit.com",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// utm_source/utm_medium on the landing page decide the source, whatever the
    /// referrer and whatever `context.campaign` says.
    #[test]
    fn url_campaign_parameters_beat_referrer_and_context(
        source in "[a-z0-9]{1,12}",
        medium in "[a-z0-9_]{1,12}",
        name in prop::option::of("[a-z0-9_-]{1,12}"),
        referrer in referrer(),
        ctx in context_campaign(),
    ) {
        let mut url = format!("https://shop.acme.io/p?utm_source={source}&utm_medium={medium}");
        if let Some(n) = &name {
            url.push_str(&format!("&utm_campaign={n}"));
        }
        let campaign = Campaign {
            source: ctx[0].as_deref(),
            medium: ctx[1].as_deref(),
            name: ctx[2].as_deref(),
            term: ctx[3].as_deref(),
            content: ctx[4].as_deref(),
            id: ctx[5].as_deref(),
        };
        let visit = Visit { url: Some(&url), referrer: referrer.as_deref(), campaign };
        let s = detect_visit(&visit, &Config::default());
        prop_assert_eq!(s.origin, Origin::Campaign);
        prop_assert_eq!(s.rule.as_str(), "utm");
        prop_assert_eq!(s.source.as_deref(), Some(source.as_str()));
        prop_assert_eq!(s.medium.as_deref(), Some(medium.as_str()));
        if let Some(n) = &name {
            prop_assert_eq!(s.campaign.as_deref(), Some(n.as_str()));
        }
        prop_assert!(s.channel != Channel::Internal && s.channel != Channel::Direct);
    }

    /// A referrer host reads the same in any letter case, with a port, userinfo or
    /// a trailing dot.
    #[test]
    fn referrer_host_spelling_does_not_matter(
        known in prop::sample::select(KNOWN.to_vec()),
        www in any::<bool>(),
        path in "(/[a-z0-9]{0,8}){0,2}(\\?q=[a-z]{1,8})?",
        upper in prop::collection::vec(any::<bool>(), 30),
        port in prop::option::of(1u16..),
        user in any::<bool>(),
        dot in any::<bool>(),
    ) {
        let host = if www { format!("www.{known}") } else { known.to_owned() };
        let plain = format!("https://{host}{path}");
        let mixed: String = host
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
            .collect();
        let spelled = format!(
            "https://{}{mixed}{}{}{path}",
            if user { "someone@" } else { "" },
            if dot { "." } else { "" },
            port.map(|p| format!(":{p}")).unwrap_or_default(),
        );
        let config = Config::default();
        let page = Some("https://acme.io/landing");
        let a = detect(page, Some(&plain), &config);
        let b = detect(page, Some(&spelled), &config);
        prop_assert_eq!(&a, &b, "{} vs {}", plain, spelled);
        prop_assert_eq!(a.referrer_host.as_deref(), Some(host.as_str()));
        prop_assert!(a.channel != Channel::Referral, "{} is a known platform", host);
    }

    /// A host that merely contains a known host (or ends with it without a dot
    /// boundary) is an ordinary referral, never the platform.
    #[test]
    fn hosts_never_match_by_substring(
        known in prop::sample::select(KNOWN.to_vec()),
        prefix in "zq[a-z0-9]{1,6}",
        suffix in prop::option::of("-[a-z]{1,6}\\.example"),
    ) {
        let host = match &suffix {
            // `zqxgoogle.com`: ends with the known host, no dot boundary.
            None => format!("{prefix}{known}"),
            // `google.com-abc.example`: starts with it.
            Some(suffix) => format!("{known}{suffix}"),
        };
        let s = detect(Some("https://acme.io/"), Some(&format!("https://{host}/path")), &Config::default());
        prop_assert_eq!(s.channel, Channel::Referral, "{} must not match {}", host, known);
        prop_assert_eq!(s.rule.as_str(), "referrer:referral");
        prop_assert_eq!(s.referrer_host.as_deref(), Some(host.as_str()));
    }

    /// INTERNAL_DOMAINS covers the domain and every subdomain of it, given as a
    /// host, `*.host` or a URL; a look-alike host outside it is not internal.
    #[test]
    fn configured_internal_domains_cover_subdomains(
        domain in "[a-z]{3,10}\\.(test|example)",
        sub in prop::option::of("[a-z0-9]{1,8}(\\.[a-z0-9]{1,8})?"),
        form in 0usize..3,
    ) {
        let entry = match form {
            0 => domain.clone(),
            1 => format!("*.{domain}"),
            _ => format!("https://{domain}/"),
        };
        let config = Config::default().with_internal_domains([entry]);
        let host = sub.map_or(domain.clone(), |s| format!("{s}.{domain}"));
        let page = Some("https://www.shop-front.invalid/");
        let s = detect(page, Some(&format!("https://{host}/a?b=c")), &config);
        prop_assert_eq!(s.channel, Channel::Internal);
        prop_assert_eq!(s.origin, Origin::Internal);
        let outside = detect(page, Some(&format!("https://x{domain}/")), &config);
        prop_assert_ne!(outside.channel, Channel::Internal);
    }
}
