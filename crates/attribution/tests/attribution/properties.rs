//! Properties of the rule-based models and the touch rules over generated journeys.

use proptest::prelude::*;
use sma_attribution::{
    Conversion, Milestones, Model, ModelConfig, PageView, Touch, TouchRules, attribute, credit,
    lookback_window, touches,
};
use sma_sources::{Channel, Origin, Source};
use sma_synth as synth;

const MIN: i64 = 60_000;
const DAY: i64 = 24 * 60 * MIN;

const CHANNELS: [Channel; 5] = [
    Channel::Direct,
    Channel::OrganicSearch,
    Channel::PaidSearch,
    Channel::Email,
    Channel::Referral,
];

fn touches_strategy() -> impl Strategy<Value = Vec<Touch>> {
    prop::collection::vec((0..20 * DAY, 0..CHANNELS.len()), 0..40).prop_map(|steps| {
        let mut at = 0;
        steps
            .into_iter()
            .enumerate()
            .map(|(i, (gap, channel))| {
                at += gap;
                Touch {
                    timestamp: at,
                    device: format!("d{}", i % 2),
                    source: synth::source(CHANNELS[channel], None),
                    landing_page: None,
                    referrer: None,
                    message_id: format!("t{i}"),
                }
            })
            .collect()
    })
}

fn cfg_strategy() -> impl Strategy<Value = ModelConfig> {
    (DAY..200 * DAY, 0..30 * DAY).prop_map(|(lookback_ms, half_life_ms)| ModelConfig {
        lookback_ms,
        half_life_ms,
    })
}

fn times(max: i64) -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(0..max, 0..3)
}

proptest! {
    #[test]
    fn credits_are_non_negative_and_sum_to_one(
        touches in touches_strategy(),
        at in 0..400 * DAY,
        lead in times(400 * DAY),
        opportunity in times(400 * DAY),
        cfg in cfg_strategy(),
    ) {
        let conversion = Conversion {
            event: "Signed Up".into(),
            timestamp: at,
            value: None,
            message_id: "c".into(),
        };
        let milestones = Milestones { lead, opportunity, won: vec![] };
        let window = lookback_window(&touches, at, &cfg);
        for t in &touches[window.clone()] {
            prop_assert!(t.timestamp <= at && t.timestamp >= at - cfg.lookback_ms);
        }
        for model in Model::ALL {
            let credits = credit(model, &touches, window.clone(), &conversion, &milestones, &cfg);
            if window.is_empty() {
                prop_assert!(credits.is_empty());
                continue;
            }
            prop_assert!(credits.iter().all(|c| c.credit.is_finite() && c.credit > 0.0));
            prop_assert!(credits.iter().all(|c| window.contains(&c.touch)));
            prop_assert!(credits.windows(2).all(|w| w[0].touch < w[1].touch));
            let sum: f64 = credits.iter().map(|c| c.credit).sum();
            let expected = if model.sums_to_one() {
                1.0
            } else {
                let mut channels: Vec<Channel> =
                    touches[window.clone()].iter().map(Touch::channel).collect();
                channels.sort();
                channels.dedup();
                channels.len() as f64
            };
            prop_assert!((sum - expected).abs() < 1e-9, "{model}: {sum} vs {expected}");
        }
    }
}

/// The sources a generated page view can have: two referrers, two campaigns, direct and
/// internal, so that every touch rule is exercised.
fn view_source(kind: usize) -> Source {
    let (channel, origin, campaign) = match kind {
        0 => (Channel::OrganicSearch, Origin::Referrer, None),
        1 => (Channel::Referral, Origin::Referrer, None),
        2 => (Channel::PaidSearch, Origin::Campaign, Some("a")),
        3 => (Channel::PaidSearch, Origin::Campaign, Some("b")),
        4 => (Channel::Direct, Origin::Direct, None),
        _ => (Channel::Internal, Origin::Internal, None),
    };
    Source {
        origin,
        ..synth::source(channel, campaign.map(str::to_owned))
    }
}

/// Page views of up to three devices, minutes apart (so sessions both continue and
/// time out, and timestamps collide), with unique message ids.
fn views_strategy() -> impl Strategy<Value = Vec<PageView>> {
    prop::collection::vec((0..3usize, 0..600i64, 0..6usize), 0..40).prop_map(|views| {
        views
            .into_iter()
            .enumerate()
            .map(|(i, (device, minute, kind))| PageView {
                message_id: format!("m{i}"),
                device: format!("device-{device}"),
                timestamp: minute * MIN,
                url: Some(format!("https://example.com/{i}")),
                referrer: None,
                source: view_source(kind),
            })
            .collect()
    })
}

fn conversions() -> Vec<Conversion> {
    [120, 300, 610]
        .into_iter()
        .map(|minute| Conversion {
            event: "Order Completed".into(),
            timestamp: minute * MIN,
            value: Some(minute as f64),
            message_id: format!("c{minute}"),
        })
        .collect()
}

fn shuffled<T: Clone + std::fmt::Debug>(
    items: impl Strategy<Value = Vec<T>>,
) -> impl Strategy<Value = (Vec<T>, Vec<T>)> {
    items.prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
}

proptest! {
    #[test]
    fn arrival_order_does_not_change_touches_or_credits(
        (views, arrived) in shuffled(views_strategy()),
        (conversions, conversions_arrived) in shuffled(Just(conversions())),
    ) {
        let rules = TouchRules::default();
        let cfg = ModelConfig::default();
        let milestones = Milestones { lead: vec![200 * MIN], opportunity: vec![400 * MIN], won: vec![] };
        let expected = touches(&views, &rules);
        let got = touches(&arrived, &rules);
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(
            attribute(&got, &conversions_arrived, &milestones, &cfg),
            attribute(&expected, &conversions, &milestones, &cfg)
        );
    }

    #[test]
    fn linking_a_device_later_gives_the_same_touches_as_linking_it_first(
        views in views_strategy(),
    ) {
        let rules = TouchRules::default();
        let all = touches(&views, &rules);
        let (first_device, others): (Vec<PageView>, Vec<PageView>) =
            views.iter().cloned().partition(|v| v.device == "device-0");
        // Linked later: the other devices' views come after, in the opposite order.
        let linked_later: Vec<PageView> =
            first_device.iter().cloned().chain(others.iter().rev().cloned()).collect();
        prop_assert_eq!(&touches(&linked_later, &rules), &all);
        // Each device's touches are its own: adding a device never changes them.
        let mut merged = touches(&first_device, &rules);
        merged.extend(touches(&others, &rules));
        merged.sort_by(|a, b| {
            (a.timestamp, &a.device, &a.message_id).cmp(&(b.timestamp, &b.device, &b.message_id))
        });
        prop_assert_eq!(merged, all);
    }
}
