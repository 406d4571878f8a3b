//! Deterministic synthetic data for benchmarks and for comparisons with other tools.
//! Attribution itself never uses it; it is public so that benches and examples share
//! one generator (same seed, same data, on every machine).

use sma_sources::{Channel, Origin, Source};

use sma_attribution::{Conversion, Journey, Milestones, PageView, Path, Touch};

use crate::rng::Rng;

/// `n` paths over the channels `0..channels`: lengths 1 to 20 (mean about 3), channel
/// sequences with repeats and favourite successors, about a fifth converting with a
/// probability that depends on the channels visited, converting paths valued 20 to 500.
pub fn paths(n: usize, channels: u8, seed: u64) -> Vec<Path<u8>> {
    let k = u64::from(channels.max(1));
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let mut path = vec![rng.skewed(k) as u8];
            while path.len() < 20 && rng.unit() < 0.6 {
                let previous = u64::from(path[path.len() - 1]);
                let next = match rng.below(10) {
                    0..=2 => previous,
                    3..=5 => (previous + 1 + rng.below(3)) % k,
                    _ => rng.skewed(k),
                };
                path.push(next as u8);
            }
            let lift: f64 = path.iter().map(|&c| f64::from(c % 5) * 0.02).sum();
            let converted = rng.unit() < (0.05 + lift).min(0.9);
            let value = if converted {
                20.0 + rng.below(481) as f64
            } else {
                0.0
            };
            Path {
                channels: path,
                converted,
                value,
            }
        })
        .collect()
}

/// Channels a synthetic touch is drawn from, most common first.
const CHANNELS: [Channel; 10] = [
    Channel::OrganicSearch,
    Channel::Direct,
    Channel::PaidSearch,
    Channel::Email,
    Channel::Referral,
    Channel::OrganicSocial,
    Channel::PaidSocial,
    Channel::Display,
    Channel::AiAssistant,
    Channel::Affiliates,
];

/// A plausible Source of `channel`, with the origin the touch rules expect of it.
pub fn source(channel: Channel, campaign: Option<String>) -> Source {
    let origin = match channel {
        Channel::Direct => Origin::Direct,
        _ if campaign.is_some() => Origin::Campaign,
        _ => Origin::Referrer,
    };
    Source {
        channel,
        source: Some(channel.as_str().to_lowercase()),
        medium: None,
        campaign,
        term: None,
        content: None,
        referrer_host: None,
        click_id: None,
        rule: "synthetic".into(),
        origin,
        ruleset: "synthetic".into(),
    }
}

const HOUR_MS: i64 = 60 * 60 * 1000;
const EPOCH_MS: i64 = 1_700_000_000_000;

fn random_source(rng: &mut Rng) -> Source {
    let channel = CHANNELS[rng.skewed(CHANNELS.len() as u64) as usize];
    let campaign = (rng.below(3) == 0).then(|| format!("campaign-{}", rng.below(5)));
    source(channel, campaign)
}

/// One user with `touches` touches about two hours apart on two devices, one
/// conversion (with value) just after the last touch, and lead and opportunity
/// milestones at a third and two thirds of the journey.
pub fn journey(touches: usize, seed: u64) -> Journey {
    let mut rng = Rng::new(seed);
    let mut at = EPOCH_MS;
    let touches: Vec<Touch> = (0..touches)
        .map(|i| {
            at += 1 + rng.below(4 * HOUR_MS as u64) as i64;
            Touch {
                timestamp: at,
                device: format!("device-{}", i % 2),
                source: random_source(&mut rng),
                landing_page: Some(format!("https://example.com/p/{i}")),
                referrer: None,
                message_id: format!("m-{seed}-{i}"),
            }
        })
        .collect();
    let span = at - EPOCH_MS;
    Journey {
        touches,
        conversions: vec![Conversion {
            event: "Order Completed".into(),
            timestamp: at + HOUR_MS,
            value: Some(20.0 + rng.below(481) as f64),
            message_id: format!("c-{seed}"),
        }],
        milestones: Milestones {
            lead: vec![EPOCH_MS + span / 3],
            opportunity: vec![EPOCH_MS + 2 * span / 3],
            won: vec![EPOCH_MS + 5 * span / 6],
        },
    }
}

/// `users` journeys of 1 to 12 touches, a third of them converting.
pub fn journeys(users: usize, seed: u64) -> Vec<Journey> {
    let mut rng = Rng::new(seed);
    (0..users)
        .map(|u| {
            let mut journey = journey(1 + rng.below(12) as usize, seed ^ ((u as u64) << 20));
            if rng.below(3) != 0 {
                journey.conversions.clear();
            }
            journey
        })
        .collect()
}

/// `n` page views of one user over `devices` devices, mostly internal navigation, a
/// few minutes to a few hours apart, in no particular order.
pub fn page_views(n: usize, devices: usize, seed: u64) -> Vec<PageView> {
    let mut rng = Rng::new(seed);
    let mut at = EPOCH_MS;
    let mut views: Vec<PageView> = (0..n)
        .map(|i| {
            let longest_gap = if rng.below(4) == 0 {
                4 * HOUR_MS
            } else {
                10 * 60_000
            };
            at += rng.below(longest_gap as u64) as i64;
            let source = if rng.below(3) == 0 {
                random_source(&mut rng)
            } else {
                Source {
                    origin: Origin::Internal,
                    ..source(Channel::Internal, None)
                }
            };
            PageView {
                message_id: format!("v-{i}"),
                device: format!("device-{}", rng.below(devices.max(1) as u64)),
                timestamp: at,
                url: Some(format!("https://example.com/p/{i}")),
                referrer: None,
                source,
            }
        })
        .collect();
    // Arrival order is not time order.
    for i in (1..views.len()).rev() {
        views.swap(i, rng.below(i as u64 + 1) as usize);
    }
    views
}
