//! The touch rules of DESIGN "Touches", one behaviour per test.

use sma_attribution::{PageView, TouchRules, touches};
use sma_sources::{Channel, Origin, Source};

const MIN: i64 = 60_000;

fn src(channel: Channel, origin: Origin, campaign: Option<&str>) -> Source {
    Source {
        origin,
        ..sma_synth::source(channel, campaign.map(str::to_owned))
    }
}

fn google() -> Source {
    src(Channel::OrganicSearch, Origin::Referrer, None)
}

fn campaign(name: &str) -> Source {
    src(Channel::PaidSearch, Origin::Campaign, Some(name))
}

fn direct() -> Source {
    src(Channel::Direct, Origin::Direct, None)
}

fn internal() -> Source {
    src(Channel::Internal, Origin::Internal, None)
}

fn view(device: &str, minute: i64, source: Source) -> PageView {
    PageView {
        message_id: format!("{device}-{minute}"),
        device: device.into(),
        timestamp: minute * MIN,
        url: Some(format!("https://example.com/{minute}")),
        referrer: Some("https://www.google.com/".into()),
        source,
    }
}

/// Minutes at which the views started a touch.
fn touch_minutes(views: &[PageView]) -> Vec<i64> {
    touches(views, &TouchRules::default())
        .iter()
        .map(|t| t.timestamp / MIN)
        .collect()
}

#[test]
fn a_referrer_starts_a_touch_only_on_a_new_session_when_its_source_is_unchanged() {
    let views = [
        view("a", 0, google()),
        view("a", 10, google()),
        // 30 minutes without an event: a new session.
        view("a", 40, google()),
        view("a", 69, google()),
    ];
    assert_eq!(touch_minutes(&views), [0, 40]);
}

#[test]
fn the_session_timeout_is_configurable() {
    let views = [view("a", 0, google()), view("a", 10, google())];
    let rules = TouchRules {
        session_timeout_ms: 5 * MIN,
    };
    assert_eq!(touches(&views, &rules).len(), 2);
}

#[test]
fn a_new_campaign_mid_session_is_a_new_touch() {
    let views = [
        view("a", 0, campaign("spring")),
        view("a", 1, internal()),
        view("a", 2, campaign("spring")),
        view("a", 3, campaign("summer")),
        view("a", 4, campaign("spring")),
    ];
    assert_eq!(touch_minutes(&views), [0, 3, 4]);
}

#[test]
fn a_referrer_with_another_source_mid_session_is_a_new_touch() {
    let bing = Source {
        source: Some("bing".into()),
        ..google()
    };
    let views = [
        view("a", 0, direct()),
        view("a", 5, google()),
        view("a", 6, bing),
    ];
    assert_eq!(touch_minutes(&views), [0, 5, 6]);
}

#[test]
fn how_a_source_was_detected_does_not_split_a_session() {
    let redetected = Source {
        rule: "referrer:search:v2".into(),
        ruleset: "2".into(),
        referrer_host: Some("www.google.de".into()),
        ..google()
    };
    let views = [view("a", 0, google()), view("a", 5, redetected)];
    assert_eq!(touch_minutes(&views), [0]);
}

#[test]
fn direct_is_a_touch_only_when_it_begins_a_session() {
    let views = [
        view("a", 0, direct()),
        view("a", 5, direct()),
        view("a", 10, google()),
        view("a", 15, direct()),
        view("a", 50, direct()),
    ];
    assert_eq!(touch_minutes(&views), [0, 10, 50]);
}

#[test]
fn internal_navigation_is_never_a_touch_but_keeps_the_session_alive() {
    let mut views = vec![view("a", 0, google())];
    views.extend((1..=6).map(|i| view("a", i * 20, internal())));
    // 10 minutes after the last internal page: same session, so neither is a touch.
    views.push(view("a", 130, direct()));
    views.push(view("a", 131, google()));
    assert_eq!(touch_minutes(&views), [0]);

    let only_internal = [view("a", 0, internal()), view("a", 100, internal())];
    assert!(touch_minutes(&only_internal).is_empty());
}

#[test]
fn a_session_begun_by_internal_navigation_has_no_source_yet() {
    // A tab reopened after hours: internal, then a referrer from the same search engine
    // as the previous session is a touch of the new session.
    let views = [
        view("a", 0, google()),
        view("a", 300, internal()),
        view("a", 301, google()),
    ];
    assert_eq!(touch_minutes(&views), [0, 301]);
}

#[test]
fn sessions_are_per_device_and_touches_merge_in_time_order() {
    let views = [
        view("b", 5, direct()),
        view("a", 0, google()),
        view("a", 5, direct()),
        view("a", 7, campaign("x")),
    ];
    let merged = touches(&views, &TouchRules::default());
    let got: Vec<(i64, &str)> = merged
        .iter()
        .map(|t| (t.timestamp / MIN, t.device.as_str()))
        .collect();
    assert_eq!(got, [(0, "a"), (5, "b"), (7, "a")]);
}

#[test]
fn a_touch_keeps_its_page_view() {
    let v = view("a", 3, campaign("x"));
    let t = &touches(std::slice::from_ref(&v), &TouchRules::default())[0];
    assert_eq!(t.timestamp, v.timestamp);
    assert_eq!(t.device, v.device);
    assert_eq!(t.source, v.source);
    assert_eq!(t.landing_page, v.url);
    assert_eq!(t.referrer, v.referrer);
    assert_eq!(t.message_id, v.message_id);
}

#[test]
fn a_repeated_message_id_counts_once() {
    let first = view("a", 0, google());
    let redelivered = PageView {
        timestamp: 45 * MIN,
        ..first.clone()
    };
    assert_eq!(touch_minutes(&[redelivered, first]), [0]);
}

#[test]
fn a_touch_round_trips_through_json() {
    let t = touches(&[view("a", 0, google())], &TouchRules::default()).remove(0);
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(
        serde_json::from_str::<sma_attribution::Touch>(&json).unwrap(),
        t
    );
}
