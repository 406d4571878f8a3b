//! Shapley values on conversion probabilities: hand-solved games, the documented
//! choices (negative contributions, unseen coalitions, paths over 15 channels) and
//! an oracle that averages marginal contributions over every order of the channels.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;
use sma_attribution::{MAX_EXACT, Path, shapley, shapley_credit, shapley_simple};

const A: u8 = 0;
const B: u8 = 1;
const C: u8 = 2;

/// `converting` converting and `not` non-converting copies of `channels`, each
/// conversion worth 10.
fn paths(channels: &[u8], converting: usize, not: usize) -> Vec<Path<u8>> {
    let one = |converted: bool| Path {
        channels: channels.to_vec(),
        converted,
        value: if converted { 10.0 } else { 0.0 },
    };
    let mut paths = vec![one(true); converting];
    paths.extend(vec![one(false); not]);
    paths
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12 * (1.0 + b.abs())
}

/// `{A}` converts 2 times in 4 (`v(A) = 1/2`), `{B}` never in 4 (`v(B) = 0`),
/// `{A, B}` 3 times in 4 (`v(AB) = 3/4`).
/// `phi_A = (v(A) - 0) / 2 + (v(AB) - v(B)) / 2 = 1/4 + 3/8 = 5/8`,
/// `phi_B = (v(B) - 0) / 2 + (v(AB) - v(A)) / 2 = 0 + 1/8 = 1/8`: the three
/// conversions of `{A, B}` split 5 : 1. A gets 2 + 2.5 = 4.5, B 0.5; the simple model
/// splits them equally, A 3.5 and B 1.5.
#[test]
fn a_channel_whose_own_journeys_never_convert_gets_less_than_under_the_simple_model() {
    let all = [paths(&[A], 2, 2), paths(&[B], 0, 4), paths(&[A, B], 3, 1)].concat();
    let credit = shapley_credit(&all);
    assert!(close(credit[&A].conversions, 4.5), "{credit:?}");
    assert!(close(credit[&B].conversions, 0.5), "{credit:?}");
    assert!(close(credit[&A].value, 45.0), "{credit:?}");
    assert!(close(credit[&B].value, 5.0), "{credit:?}");
    let simple = shapley_simple(&all);
    assert_eq!(simple, BTreeMap::from([(A, 3.5), (B, 1.5)]));
    assert!(credit[&B].conversions < simple[&B]);
}

/// `v(A) = 0.8`, `v(B) = 0.1`, `v(AB) = 0.3`: `phi_A = 0.4 + 0.1 = 0.5`,
/// `phi_B = 0.05 - 0.25 = -0.2`. B's negative contribution is clamped to 0, so A takes
/// all 3 conversions of `{A, B}`.
#[test]
fn negative_contributions_are_clamped_at_zero_and_the_rest_renormalised() {
    let all = [paths(&[A], 8, 2), paths(&[B], 1, 9), paths(&[A, B], 3, 7)].concat();
    let credit = shapley(&all);
    assert!(close(credit[&A], 11.0), "{credit:?}");
    assert!(close(credit[&B], 1.0), "{credit:?}");
}

/// No path has exactly `{B}`: `v(B) = 0`. `v(A) = 1/2`, `v(AB) = 1`:
/// `phi_A = 1/4 + 1/2 = 3/4`, `phi_B = 0 + 1/4`.
#[test]
fn an_unseen_coalition_is_worth_nothing() {
    let all = [paths(&[A], 1, 1), paths(&[A, B], 1, 0)].concat();
    let credit = shapley(&all);
    assert!(close(credit[&A], 1.75), "{credit:?}");
    assert!(close(credit[&B], 0.25), "{credit:?}");
    // With no sub-coalition seen, a path is split equally.
    let alone = shapley(&paths(&[A, B, C], 1, 0));
    for c in [A, B, C] {
        assert!(close(alone[&c], 1.0 / 3.0), "{alone:?}");
    }
}

#[test]
fn above_fifteen_channels_a_path_keeps_its_fifteen_most_touched() {
    // Channels 0..15 touched twice, channel 15 once: 16 distinct channels.
    let mut channels: Vec<u8> = (0..15u8).flat_map(|c| [c, c]).collect();
    channels.insert(3, 15);
    let credit = shapley(&paths(&channels, 1, 0));
    assert_eq!(credit.len(), 16);
    assert_eq!(credit[&15], 0.0);
    for c in 0..15u8 {
        assert!(close(credit[&c], 1.0 / 15.0), "{credit:?}");
    }
    // All touched once: ties go to the earlier first touch, so the last is left out.
    let once: Vec<u8> = (0..=MAX_EXACT as u8).rev().collect();
    let credit = shapley(&paths(&once, 1, 0));
    assert_eq!(credit[&0], 0.0);
    assert!(close(credit.values().sum(), 1.0));
}

/// A converting path of all 15 channels, and channel `c` alone converting in 1 of
/// `c + 1` journeys: `v(c) = 1 / (c + 1)`, `v(P) = 1`, every other coalition unseen.
/// Only three kinds of subset contribute: `{}` (`v(c)`, weight `1/n`), `P \ {c}`
/// (`1 - 0`, weight `1/n`) and `{d}` (`0 - v(d)`, weight `1/(n(n-1))`), so
/// `phi_c = (v(c) + 1) / n - (V - v(c)) / (n (n - 1))` with `V` the sum of `v`; the
/// `phi` are positive and sum to 1.
#[test]
fn fifteen_channels_are_split_exactly() {
    let n = MAX_EXACT;
    let channels: Vec<u8> = (0..n as u8).collect();
    let mut all = paths(&channels, 1, 0);
    let v = |c: u8| 1.0 / f64::from(c + 1);
    for c in 0..n as u8 {
        all.extend(paths(&[c], 1, usize::from(c)));
    }
    let total: f64 = (0..n as u8).map(v).sum();
    let got = shapley(&all);
    for c in 0..n as u8 {
        let n = n as f64;
        let phi = (v(c) + 1.0) / n - (total - v(c)) / (n * (n - 1.0));
        // Each singleton path gives its channel its own conversion.
        assert!(close(got[&c] - 1.0, phi), "{c}: {got:?}");
    }
}

/// The model by definition: each converting path's channels, every order of them,
/// marginal contributions averaged; negative ones clamped; unseen coalitions 0.
fn by_permutations(paths: &[Path<u8>], max: usize) -> BTreeMap<u8, f64> {
    let mut seen: HashMap<BTreeSet<u8>, (f64, f64)> = HashMap::new();
    for p in paths {
        let e = seen
            .entry(p.channels.iter().copied().collect())
            .or_default();
        e.0 += f64::from(u8::from(p.converted));
        e.1 += 1.0;
    }
    let v = |s: &BTreeSet<u8>| seen.get(s).map_or(0.0, |(c, n)| c / n);
    let mut credit: BTreeMap<u8, f64> = BTreeMap::new();
    for p in paths {
        let set: Vec<u8> = p
            .channels
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for &c in &set {
            credit.entry(c).or_default();
        }
        if !p.converted || set.len() > max {
            continue;
        }
        let mut phi: BTreeMap<u8, f64> = BTreeMap::new();
        let orders = permutations(&set);
        for order in &orders {
            let mut before = BTreeSet::new();
            for &c in order {
                let without = v(&before);
                before.insert(c);
                *phi.entry(c).or_default() += (v(&before) - without) / orders.len() as f64;
            }
        }
        let sum: f64 = phi.values().map(|x| x.max(0.0)).sum();
        for (c, x) in phi {
            *credit.get_mut(&c).unwrap() += x.max(0.0) / sum;
        }
    }
    credit
}

fn permutations(items: &[u8]) -> Vec<Vec<u8>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            all.push(tail);
        }
    }
    all
}

fn paths_strategy() -> impl Strategy<Value = Vec<Path<u8>>> {
    prop::collection::vec(
        (prop::collection::vec(0..6u8, 1..6), any::<bool>()).prop_map(|(channels, converted)| {
            Path {
                channels,
                converted,
                value: if converted { 10.0 } else { 0.0 },
            }
        }),
        1..60,
    )
}

proptest! {
    #[test]
    fn subset_weights_equal_the_average_over_every_order(paths in paths_strategy()) {
        let got = shapley(&paths);
        let want = by_permutations(&paths, 6);
        prop_assert_eq!(got.len(), want.len());
        for (c, w) in &want {
            prop_assert!((got[c] - w).abs() < 1e-9, "{:?} vs {:?}", got, want);
        }
    }
}
