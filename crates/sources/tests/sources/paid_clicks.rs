//! Paid click ids as GA4 and real ad clicks need them: the referrer tells where the
//! ad ran, and a paid click id is never organic traffic, whatever the tags say.

use sma_sources::{Channel, Config, Source, detect};

fn visit(query: &str, referrer: Option<&str>) -> Source {
    let url = format!("https://www.example.com/landing?{query}");
    detect(Some(&url), referrer, &Config::default())
}

const PAID_IDS: [&str; 6] = [
    "gclid",
    "dclid",
    "wbraid",
    "gbraid",
    "msclkid",
    "gad_source",
];

#[test]
fn a_paid_click_from_a_video_platform_is_paid_video() {
    for id in PAID_IDS {
        for referrer in [
            "https://www.youtube.com/watch?v=1",
            "https://m.youtube.com/",
            "https://player.vimeo.com/video/1",
        ] {
            let s = visit(&format!("{id}=x"), Some(referrer));
            assert_eq!(s.channel, Channel::PaidVideo, "{id} from {referrer}");
            assert_eq!(s.click_id.as_deref(), Some(id));
            assert_eq!(s.rule, format!("click_id:{id}+referrer:video"));
        }
    }
    let s = visit("gclid=x", Some("https://www.youtube.com/"));
    assert_eq!(
        (s.source.as_deref(), s.medium.as_deref()),
        (Some("google"), Some("cpc"))
    );
}

#[test]
fn a_paid_click_through_an_ad_server_is_display() {
    for id in PAID_IDS {
        for referrer in [
            "https://tpc.googlesyndication.com/sadbundle/1",
            "https://googleads.g.doubleclick.net/pagead/ads",
            "https://ad.doubleclick.net/ddm/clk/1",
            "https://imasdk.googleapis.com/js/core/bridge3.html",
        ] {
            let s = visit(&format!("{id}=x"), Some(referrer));
            assert_eq!(s.channel, Channel::Display, "{id} from {referrer}");
            assert_eq!(s.rule, format!("click_id:{id}+referrer:display"));
        }
    }
}

#[test]
fn the_referrer_only_refines_paid_ids_and_untagged_mediums() {
    // Organic ids keep their channel; an email click id shared from YouTube stays Email.
    assert_eq!(
        visit("fbclid=x", Some("https://www.youtube.com/")).channel,
        Channel::OrganicSocial
    );
    assert_eq!(
        visit("mc_cid=x", Some("https://www.youtube.com/")).channel,
        Channel::Email
    );
    // A tagged medium is the advertiser's word on the placement.
    assert_eq!(
        visit(
            "gclid=x&utm_source=google&utm_medium=cpc",
            Some("https://www.youtube.com/")
        )
        .channel,
        Channel::PaidSearch
    );
    // Other referrers leave the click id's own channel.
    assert_eq!(
        visit("gclid=x", Some("https://www.google.com/")).channel,
        Channel::PaidSearch
    );
    assert_eq!(
        visit("gclid=x", Some("https://www.facebook.com/")).channel,
        Channel::PaidSearch
    );
}

#[test]
fn a_paid_signal_never_yields_an_organic_channel() {
    use Channel::*;
    let cases = [
        ("utm_source=google&utm_medium=pmax&gclid=x", PaidSearch),
        (
            "utm_source=google&utm_medium=organic&gad_source=1",
            PaidSearch,
        ),
        ("utm_source=bing&utm_medium=pmax&msclkid=x", PaidSearch),
        ("utm_source=youtube&utm_medium=pmax&gclid=x", PaidVideo),
        ("utm_source=facebook&utm_medium=social&gclid=x", PaidSocial),
        (
            "utm_source=google&utm_medium=pmax&utm_campaign=shopping&gclid=x",
            PaidShopping,
        ),
        ("utm_source=partner&utm_medium=organic&wbraid=x", PaidOther),
        ("utm_medium=pmax&utm_source=google&dclid=x", PaidSearch),
    ];
    for (query, want) in cases {
        let s = visit(query, None);
        assert_eq!(s.channel, want, "?{query}");
        assert!(s.rule.starts_with("utm+click_id:"), "{}", s.rule);
    }
    // What GA4 decides without a paid list medium and is not organic stays.
    assert_eq!(
        visit("utm_source=newsletter&utm_medium=email&gclid=x", None).channel,
        Email
    );
    assert_eq!(
        visit("utm_source=partner&utm_medium=referral&gclid=x", None).channel,
        Referral
    );
    // Organic evidence (srsltid, fbclid) with organic tags stays organic.
    assert_eq!(
        visit("utm_source=google&utm_medium=organic&srsltid=x", None).channel,
        OrganicSearch
    );
    assert_eq!(
        visit("utm_source=facebook&utm_medium=social&fbclid=x", None).channel,
        OrganicSocial
    );
}
