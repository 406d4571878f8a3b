//! Property tests: `detect` never panics, is deterministic, and its result is
//! internally consistent, on arbitrary strings and on URL-shaped ones.

use proptest::prelude::*;
use sma_sources::{Channel, Config, Origin, detect, ruleset};

/// Strings that look like URLs often enough to reach the deep paths.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof!["https?://", "android-app://", "", "[a-z]{1,6}:", "//"];
    let host = prop_oneof![
        "[a-zA-Z0-9.-]{0,30}",
        "(www\\.)?(google|bing|t|facebook|chatgpt|example|stripe)\\.(com|co\\.uk|co|ai|io)",
        "[0-9.]{1,15}",
        "\\PC{0,12}",
    ];
    let port = prop_oneof!["", ":[0-9]{1,5}", ":"];
    let path = "(/[a-zA-Z0-9%._~-]{0,12}){0,3}";
    let key = prop_oneof![
        "utm_(source|medium|campaign|term|content|id)",
        "gclid|fbclid|srsltid|q|p|text",
        "[a-z_]{1,8}"
    ];
    let query = prop::collection::vec((key, "[a-zA-Z0-9%+ ._-]{0,10}"), 0..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    });
    (scheme, host, port, path, query).prop_map(|(s, h, p, pa, q)| format!("{s}{h}{p}{pa}?{q}"))
}

fn any_input() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![url_like(), any::<String>()])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_and_is_deterministic(url in any_input(), referrer in any_input()) {
        let config = Config::default().with_internal_domains(["example.com"]);
        let a = detect(url.as_deref(), referrer.as_deref(), &config);
        let b = detect(url.as_deref(), referrer.as_deref(), &config);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.ruleset.as_str(), ruleset());
        prop_assert!(!a.rule.is_empty());
        prop_assert_eq!(a.channel == Channel::Internal, a.origin == Origin::Internal);
        if a.origin == Origin::Direct {
            prop_assert_eq!(a.channel, Channel::Direct);
        }
        if let Some(host) = &a.referrer_host {
            prop_assert_eq!(host, &host.to_ascii_lowercase());
        }
    }
}
