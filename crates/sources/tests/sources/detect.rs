//! Referrer-side behaviour of `detect`: hosts, search terms, internal navigation,
//! exclusions, app referrers, malformed input and the fields of the result.

use sma_sources::{Campaign, Channel, Config, Origin, Visit, detect, detect_visit, ruleset};

const PAGE: &str = "https://www.example.com/pricing";

fn from(referrer: &str) -> sma_sources::Source {
    detect(Some(PAGE), Some(referrer), &Config::default())
}

fn summary(referrer: &str) -> (Channel, Option<String>) {
    let s = from(referrer);
    (s.channel, s.source)
}

#[test]
fn a_bare_google_referrer_is_organic_search() {
    let s = from("https://www.google.com/");
    assert_eq!(s.channel, Channel::OrganicSearch);
    assert_eq!(s.source.as_deref(), Some("google"));
    assert_eq!(s.medium.as_deref(), Some("organic"));
    assert_eq!(s.term, None);
    assert_eq!(s.referrer_host.as_deref(), Some("www.google.com"));
    assert_eq!(s.rule, "referrer:search");
    assert_eq!(s.origin, Origin::Referrer);
    for host in [
        "google.co.uk",
        "www.google.com.br",
        "www.google.co.jp",
        "google.de",
    ] {
        assert_eq!(
            summary(&format!("https://{host}/")),
            (Channel::OrganicSearch, Some("google".into())),
            "{host}"
        );
    }
}

#[test]
fn search_terms_come_from_each_engines_parameter() {
    let cases = [
        (
            "https://www.bing.com/search?q=crm+for+startups",
            "crm for startups",
        ),
        (
            "https://duckduckgo.com/?q=open%20source%20analytics",
            "open source analytics",
        ),
        (
            "https://yandex.ru/search/?text=%D0%B0%D0%BD%D0%B0%D0%BB%D0%B8%D1%82%D0%B8%D0%BA%D0%B0",
            "аналитика",
        ),
        ("https://www.baidu.com/s?wd=segment", "segment"),
        ("https://search.yahoo.co.jp/search?p=hello", "hello"),
        (
            "https://search.naver.com/search.naver?query=hanintel",
            "hanintel",
        ),
        ("https://www.ecosia.org/search?q=trees", "trees"),
    ];
    for (referrer, term) in cases {
        let s = from(referrer);
        assert_eq!(s.channel, Channel::OrganicSearch, "{referrer}");
        assert_eq!(s.term.as_deref(), Some(term), "{referrer}");
    }
}

#[test]
fn hosts_match_by_domain_never_by_substring() {
    for referrer in [
        "https://microsoft.com/",
        "https://notgoogle.com/",
        "https://google.example.org/",
        "https://t.co.example.org/",
        "https://mybing.com/",
        "https://facebook.com.phish.io/",
    ] {
        assert_eq!(from(referrer).channel, Channel::Referral, "{referrer}");
    }
    assert_eq!(
        summary("https://news.ycombinator.com/item?id=1"),
        (Channel::OrganicSocial, Some("hacker news".into()))
    );
    let s = from("https://blog.partner.io/post");
    assert_eq!(
        (s.channel, s.source.as_deref(), s.medium.as_deref()),
        (Channel::Referral, Some("blog.partner.io"), Some("referral"))
    );
    assert_eq!(
        from("https://www.partner.io/").source.as_deref(),
        Some("partner.io")
    );
}

#[test]
fn modern_platforms_are_known() {
    use Channel::*;
    let cases = [
        ("https://x.com/someone/status/1", OrganicSocial, "twitter"),
        ("https://t.co/abc", OrganicSocial, "twitter"),
        ("https://www.threads.net/@user", OrganicSocial, "threads"),
        ("https://bsky.app/profile/x", OrganicSocial, "bluesky"),
        ("https://mastodon.social/@x", OrganicSocial, "mastodon"),
        ("https://www.linkedin.com/feed/", OrganicSocial, "linkedin"),
        ("https://www.reddit.com/r/saas/", OrganicSocial, "reddit"),
        ("https://www.youtube.com/watch?v=1", OrganicVideo, "youtube"),
        ("https://www.amazon.co.uk/dp/1", OrganicShopping, "amazon"),
        ("https://chatgpt.com/", AiAssistant, "chatgpt"),
        (
            "https://www.perplexity.ai/search/abc",
            AiAssistant,
            "perplexity",
        ),
        ("https://claude.ai/chat/1", AiAssistant, "claude"),
        ("https://gemini.google.com/app", AiAssistant, "gemini"),
        ("https://copilot.microsoft.com/", AiAssistant, "copilot"),
        ("https://www.bing.com/chat?q=x", AiAssistant, "copilot"),
        ("https://x.com/i/grok", AiAssistant, "grok"),
        ("https://kagi.com/search?q=x", OrganicSearch, "kagi"),
        (
            "https://search.brave.com/search?q=x",
            OrganicSearch,
            "brave",
        ),
        ("https://mail.google.com/mail/u/0/", Email, "gmail"),
        ("https://outlook.live.com/mail/0/", Email, "outlook.com"),
        ("https://googleads.g.doubleclick.net/", Display, "google"),
        (
            "https://www.googleadservices.com/pagead/aclk",
            PaidSearch,
            "google",
        ),
    ];
    for (referrer, channel, source) in cases {
        assert_eq!(
            summary(referrer),
            (channel, Some(source.to_owned())),
            "{referrer}"
        );
    }
    // Not search because it ends in google.com.
    assert_eq!(
        from("https://docs.google.com/document/d/1").channel,
        Channel::Referral
    );
}

#[test]
fn same_site_and_configured_domains_are_internal() {
    let config = Config::default().with_internal_domains(["example-app.io"]);
    let cases = [
        ("https://www.example.com/", "internal:same_host"),
        ("https://example.com/blog", "internal:same_site"),
        ("https://docs.example.com/", "internal:same_site"),
        (
            "https://app.example-app.io/dashboard",
            "internal:configured",
        ),
        ("https://checkout.stripe.com/pay/cs_1", "internal:excluded"),
        ("https://www.paypal.com/checkoutnow", "internal:excluded"),
        ("https://accounts.google.com/o/oauth2", "internal:excluded"),
    ];
    for (referrer, rule) in cases {
        let s = detect(Some(PAGE), Some(referrer), &config);
        assert_eq!(
            (s.channel, s.origin, s.rule.as_str()),
            (Channel::Internal, Origin::Internal, rule),
            "{referrer}"
        );
        assert!(s.is_internal());
        assert!(s.referrer_host.is_some());
    }
    let config = Config::default().with_referral_exclusions(["sso.partner.net"]);
    assert!(detect(Some(PAGE), Some("https://sso.partner.net/x"), &config).is_internal());
    // Two sites of one hosting platform are not the same site.
    let s = detect(
        Some("https://me.github.io/"),
        Some("https://you.github.io/"),
        &Config::default(),
    );
    assert_eq!(s.channel, Channel::Referral);
}

#[test]
fn a_known_platform_on_the_pages_own_domain_is_still_that_platform() {
    let s = detect(
        Some("https://www.google.com/about"),
        Some("https://mail.google.com/mail/"),
        &Config::default(),
    );
    assert_eq!(s.channel, Channel::Email);
    let s = detect(
        Some("https://www.google.com/about"),
        Some("https://www.google.com/"),
        &Config::default(),
    );
    assert_eq!(s.channel, Channel::Internal);
}

#[test]
fn android_app_referrers() {
    assert_eq!(
        summary("android-app://com.google.android.gm/"),
        (Channel::Email, Some("gmail".into()))
    );
    assert_eq!(
        summary("android-app://com.google.android.googlequicksearchbox/https/www.google.com"),
        (Channel::OrganicSearch, Some("google".into()))
    );
    assert_eq!(
        summary("android-app://com.linkedin.android/"),
        (Channel::OrganicSocial, Some("linkedin".into()))
    );
    assert_eq!(
        summary("android-app://com.Slack"),
        (Channel::OrganicSocial, Some("slack".into()))
    );
    let s = from("android-app://com.example.reader/");
    assert_eq!(
        (s.channel, s.source.as_deref()),
        (Channel::Referral, Some("com.example.reader"))
    );
}

#[test]
fn malformed_input_degrades_to_what_can_be_known() {
    let config = Config::default();
    for referrer in [
        "DIRECT",
        "about:blank",
        "http://",
        "::::",
        "javascript:void(0)",
        "http://exa mple.com/",
    ] {
        let s = detect(Some(PAGE), Some(referrer), &config);
        assert_eq!(
            (s.channel, s.rule.as_str()),
            (Channel::Direct, "direct:no_referrer_host"),
            "{referrer:?}"
        );
    }
    for referrer in ["", "   "] {
        assert_eq!(detect(Some(PAGE), Some(referrer), &config).rule, "direct");
    }
    assert_eq!(
        summary("www.google.com/search?q=x").0,
        Channel::OrganicSearch
    );
    assert_eq!(
        summary("HTTPS://WWW.GOOGLE.COM.:443/").0,
        Channel::OrganicSearch
    );
    let s = detect(
        Some("not a url ?utm_source=newsletter&utm_medium=email"),
        None,
        &config,
    );
    assert_eq!(s.channel, Channel::Email);
    let s = detect(None, None, &config);
    assert_eq!(
        (s.channel, s.source.as_deref(), s.medium.as_deref()),
        (Channel::Direct, Some("(direct)"), Some("(none)"))
    );
}

#[test]
fn campaign_parameters_win_over_the_referrer() {
    let s = detect(
        Some(
            "https://www.example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=launch&utm_term=crm&utm_content=hero",
        ),
        Some("https://www.google.com/"),
        &Config::default(),
    );
    assert_eq!(s.channel, Channel::Email);
    assert_eq!(
        (
            s.source.as_deref(),
            s.medium.as_deref(),
            s.campaign.as_deref(),
            s.term.as_deref(),
            s.content.as_deref()
        ),
        (
            Some("newsletter"),
            Some("email"),
            Some("launch"),
            Some("crm"),
            Some("hero")
        )
    );
    assert_eq!((s.origin, s.rule.as_str()), (Origin::Campaign, "utm"));
    assert_eq!(s.referrer_host.as_deref(), Some("www.google.com"));
    // Even on internal navigation: a tagged link starts a campaign.
    let s = detect(
        Some("https://www.example.com/?utm_source=banner&utm_medium=display"),
        Some(PAGE),
        &Config::default(),
    );
    assert_eq!((s.channel, s.origin), (Channel::Display, Origin::Campaign));
}

#[test]
fn context_campaign_fills_in_and_the_url_wins() {
    let campaign = Campaign {
        source: Some("crm"),
        medium: Some("email"),
        name: Some("winback"),
        ..Campaign::default()
    };
    let visit = Visit {
        url: Some(PAGE),
        referrer: None,
        campaign,
    };
    let s = detect_visit(&visit, &Config::default());
    assert_eq!(
        (s.channel, s.campaign.as_deref(), s.rule.as_str()),
        (Channel::Email, Some("winback"), "context_campaign")
    );
    let blank = Visit {
        campaign: Campaign {
            source: Some(" "),
            name: Some(""),
            ..Campaign::default()
        },
        ..visit
    };
    assert_eq!(detect_visit(&blank, &Config::default()).rule, "direct");
    let visit = Visit {
        url: Some("https://www.example.com/?utm_medium=cpc&utm_source=google"),
        ..visit
    };
    let s = detect_visit(&visit, &Config::default());
    assert_eq!(
        (s.channel, s.source.as_deref(), s.campaign.as_deref()),
        (Channel::PaidSearch, Some("google"), Some("winback"))
    );
}

#[test]
fn a_campaign_name_alone_keeps_the_referrers_channel() {
    let s = detect(
        Some("https://www.example.com/?utm_campaign=launch"),
        Some("https://t.co/x"),
        &Config::default(),
    );
    assert_eq!(
        (s.channel, s.campaign.as_deref(), s.origin),
        (Channel::OrganicSocial, Some("launch"), Origin::Campaign)
    );
    assert_eq!(s.rule, "utm+referrer:social");
    let s = detect(
        Some("https://www.example.com/?utm_id=cmp-42"),
        None,
        &Config::default(),
    );
    assert_eq!(
        (s.channel, s.campaign.as_deref(), s.rule.as_str()),
        (Channel::Unassigned, Some("cmp-42"), "utm:campaign_only")
    );
}

#[test]
fn a_campaign_keeps_the_search_term_the_engine_sent() {
    let s = detect(
        Some("https://www.example.com/?gclid=1"),
        Some("https://www.bing.com/search?q=crm"),
        &Config::default(),
    );
    assert_eq!(
        (s.channel, s.term.as_deref()),
        (Channel::PaidSearch, Some("crm"))
    );
}

#[test]
fn every_source_carries_the_ruleset_and_serialises_with_labels() {
    let s = from("https://chatgpt.com/");
    assert_eq!(s.ruleset, ruleset());
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["channel"], "AI Assistant");
    assert_eq!(json["origin"], "referrer");
    let back: sma_sources::Source = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
}
