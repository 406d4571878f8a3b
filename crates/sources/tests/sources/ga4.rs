//! Every rule of the GA4 default channel group, in GA4's evaluation order, plus the
//! click ids that stand in for campaign parameters and the AI Assistant channel.

use sma_sources::{Channel, Config, Origin, detect};

fn channel_of(query: &str) -> Channel {
    let url = format!("https://www.example.com/landing?{query}");
    detect(Some(&url), None, &Config::default()).channel
}

fn assert_cases(cases: &[(&str, Channel)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(query, want)| {
            let got = channel_of(query);
            (got != *want).then(|| format!("?{query}: expected {want}, got {got}"))
        })
        .collect();
    println!("{}/{} cases", cases.len() - failures.len(), cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn direct_and_cross_network() {
    assert_eq!(
        detect(Some("https://www.example.com/"), None, &Config::default()).channel,
        Channel::Direct
    );
    assert_cases(&[
        ("utm_source=(direct)&utm_medium=(none)", Channel::Direct),
        (
            "utm_source=google&utm_medium=cpc&utm_campaign=cross-network_pmax",
            Channel::CrossNetwork,
        ),
        (
            "utm_source=bing&utm_medium=display&utm_campaign=Q3+Cross-Network",
            Channel::CrossNetwork,
        ),
    ]);
}

#[test]
fn cross_network_is_decided_by_the_campaign_name_alone() {
    let config = Config::default();
    for (query, referrer) in [
        ("utm_campaign=Cross-Network+Q3", None),
        (
            "utm_campaign=pmax_cross-network",
            Some("https://www.youtube.com/"),
        ),
        ("utm_id=cross-network-42", Some("https://www.google.com/")),
        (
            "utm_campaign=cross-network&gclid=1",
            Some("https://www.youtube.com/"),
        ),
        (
            "utm_campaign=cross-network&utm_source=newsletter&utm_medium=email",
            None,
        ),
    ] {
        let url = format!("https://www.example.com/?{query}");
        let s = detect(Some(&url), referrer, &config);
        assert_eq!(
            s.channel,
            Channel::CrossNetwork,
            "?{query} from {referrer:?}"
        );
        assert_eq!(s.origin, Origin::Campaign);
    }
    let s = detect(
        Some("https://www.example.com/?utm_campaign=cross-network"),
        Some("https://t.co/x"),
        &config,
    );
    assert_eq!(
        (s.rule.as_str(), s.source.as_deref(), s.campaign.as_deref()),
        ("utm:cross_network", Some("twitter"), Some("cross-network"))
    );
    // Direct comes first in GA4's order.
    assert_eq!(
        channel_of("utm_source=(direct)&utm_medium=(none)&utm_campaign=cross-network"),
        Channel::Direct
    );
}

#[test]
fn paid_channels_need_a_paid_medium() {
    use Channel::*;
    assert_cases(&[
        ("utm_source=amazon&utm_medium=cpc", PaidShopping),
        (
            "utm_source=google&utm_medium=cpc&utm_campaign=summer_shopping",
            PaidShopping,
        ),
        (
            "utm_source=newsletter&utm_medium=paid&utm_campaign=eshop-launch",
            PaidShopping,
        ),
        ("utm_source=google&utm_medium=cpc", PaidSearch),
        ("utm_source=bing&utm_medium=ppc", PaidSearch),
        ("utm_source=duckduckgo&utm_medium=paidsearch", PaidSearch),
        ("utm_source=yahoo&utm_medium=retargeting", PaidSearch),
        ("utm_source=facebook&utm_medium=paid_social", PaidSocial),
        ("utm_source=linkedin&utm_medium=cpc", PaidSocial),
        ("utm_source=ig&utm_medium=retargeting", PaidSocial),
        ("utm_source=m.facebook.com&utm_medium=cpm", PaidSocial),
        ("utm_source=youtube&utm_medium=cpv", PaidVideo),
        ("utm_source=vimeo&utm_medium=paid", PaidVideo),
        ("utm_source=partner&utm_medium=cpc", PaidOther),
        ("utm_source=adnetwork&utm_medium=retargeting", PaidOther),
    ]);
}

#[test]
fn display_mediums() {
    for medium in [
        "display",
        "banner",
        "expandable",
        "interstitial",
        "cpm",
        "Display",
    ] {
        assert_eq!(
            channel_of(&format!("utm_source=publisher&utm_medium={medium}")),
            Channel::Display,
            "{medium}"
        );
    }
}

#[test]
fn organic_channels_by_source_category_or_medium() {
    use Channel::*;
    assert_cases(&[
        ("utm_source=etsy", OrganicShopping),
        (
            "utm_source=newsletter&utm_campaign=shop_launch",
            OrganicShopping,
        ),
        ("utm_source=twitter", OrganicSocial),
        ("utm_source=x.com&utm_medium=referral", OrganicSocial),
        ("utm_source=club&utm_medium=social", OrganicSocial),
        ("utm_source=club&utm_medium=sm", OrganicSocial),
        ("utm_source=club&utm_medium=social-network", OrganicSocial),
        ("utm_source=club&utm_medium=social%20media", OrganicSocial),
        ("utm_source=youtube", OrganicVideo),
        ("utm_source=blog&utm_medium=video_post", OrganicVideo),
        ("utm_source=google&utm_medium=organic", OrganicSearch),
        ("utm_source=startpage.com", OrganicSearch),
        ("utm_source=anything&utm_medium=organic", OrganicSearch),
    ]);
}

#[test]
fn medium_and_source_rules_after_the_organic_ones() {
    use Channel::*;
    assert_cases(&[
        ("utm_source=partner.com&utm_medium=referral", Referral),
        ("utm_source=partner&utm_medium=app", Referral),
        ("utm_source=partner&utm_medium=link", Referral),
        ("utm_source=newsletter&utm_medium=email", Email),
        ("utm_source=e-mail", Email),
        ("utm_source=crm&utm_medium=e_mail", Email),
        ("utm_source=crm&utm_medium=e%20mail", Email),
        ("utm_source=partner&utm_medium=affiliate", Affiliates),
        ("utm_source=podcast&utm_medium=audio", Audio),
        ("utm_source=sms", Sms),
        ("utm_source=twilio&utm_medium=sms", Sms),
        ("utm_source=app&utm_medium=push", MobilePush),
        ("utm_source=app&utm_medium=web_push", MobilePush),
        ("utm_source=app&utm_medium=mobile", MobilePush),
        ("utm_source=app&utm_medium=in-app-notification", MobilePush),
        ("utm_source=firebase", MobilePush),
        ("utm_source=feedburner&utm_medium=feed", Unassigned),
        ("utm_medium=carrier-pigeon", Unassigned),
    ]);
}

#[test]
fn ai_assistants_get_their_own_channel() {
    use Channel::*;
    assert_cases(&[
        ("utm_source=chatgpt.com", AiAssistant),
        ("utm_source=perplexity", AiAssistant),
        ("utm_source=claude.ai&utm_medium=referral", AiAssistant),
        ("utm_source=chatgpt.com&utm_medium=cpc", PaidOther),
    ]);
}

#[test]
fn click_ids_stand_in_for_campaign_parameters() {
    use Channel::*;
    let cases = [
        ("gclid=abc", PaidSearch, "google", "cpc"),
        ("gbraid=abc", PaidSearch, "google", "cpc"),
        ("wbraid=abc", PaidSearch, "google", "cpc"),
        ("gad_source=1", PaidSearch, "google", "cpc"),
        ("dclid=abc", Display, "google", "display"),
        ("msclkid=abc", PaidSearch, "bing", "cpc"),
        ("yclid=abc", PaidSearch, "yandex", "cpc"),
        ("ttclid=abc", PaidSocial, "tiktok", "cpc"),
        ("li_fat_id=abc", PaidSocial, "linkedin", "cpc"),
        ("twclid=abc", PaidSocial, "twitter", "cpc"),
        ("rdt_cid=abc", PaidSocial, "reddit", "cpc"),
        ("epik=abc", PaidSocial, "pinterest", "cpc"),
        ("ScCid=abc", PaidSocial, "snapchat", "cpc"),
        ("fbclid=abc", OrganicSocial, "facebook", "social"),
        ("igshid=abc", OrganicSocial, "instagram", "social"),
        ("srsltid=abc", OrganicShopping, "google", "organic"),
        ("mc_cid=abc", Email, "mailchimp", "email"),
        ("_hsenc=abc", Email, "hubspot", "email"),
        ("irclickid=abc", Affiliates, "impact", "affiliate"),
    ];
    for (query, channel, source, medium) in cases {
        let url = format!("https://www.example.com/?{query}");
        let s = detect(Some(&url), None, &Config::default());
        let name = query.split('=').next().unwrap().to_ascii_lowercase();
        assert_eq!(
            (
                s.channel,
                s.source.as_deref(),
                s.medium.as_deref(),
                s.click_id.as_deref()
            ),
            (channel, Some(source), Some(medium), Some(name.as_str())),
            "{query}"
        );
        assert_eq!(s.rule, format!("click_id:{name}"));
        assert_eq!(s.origin, Origin::Campaign);
    }
}

#[test]
fn fbclid_is_paid_only_with_a_paid_medium() {
    let config = Config::default();
    let paid = detect(
        Some("https://x.example/?fbclid=1&utm_source=facebook&utm_medium=paid_social"),
        None,
        &config,
    );
    assert_eq!(paid.channel, Channel::PaidSocial);
    assert_eq!(paid.click_id.as_deref(), Some("fbclid"));
    assert_eq!(paid.rule, "utm");
    let organic = detect(
        Some("https://x.example/?fbclid=1"),
        Some("https://l.instagram.com/"),
        &config,
    );
    assert_eq!(organic.channel, Channel::OrganicSocial);
    assert_eq!(
        organic.source.as_deref(),
        Some("instagram"),
        "the social referrer names the Meta app"
    );
}

#[test]
fn a_paid_click_id_beats_the_organic_ones_and_utm_medium_beats_both() {
    assert_eq!(
        channel_of("fbclid=a&srsltid=b&gclid=c"),
        Channel::PaidSearch
    );
    assert_eq!(channel_of("gclid=c&utm_medium=display"), Channel::Display);
    assert_eq!(
        channel_of("srsltid=a&utm_source=google"),
        Channel::OrganicShopping
    );
    assert_eq!(
        channel_of("srsltid=a&utm_source=google&utm_medium=organic"),
        Channel::OrganicSearch
    );
}
