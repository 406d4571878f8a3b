//! First-order Markov removal effect and the simple Shapley model: hand-solved cases
//! and independent oracles (value iteration for the chain, coalition enumeration for
//! the path-coverage game).

use std::collections::{BTreeMap, BTreeSet};

use crate::support::paths_strategy;
use proptest::prelude::*;
use sma_attribution::{MarkovOrder, MarkovValue, Path, shapley_simple, shapley_simple_credit};
use sma_sources::Channel;

fn path<C: Clone>(channels: &[C], converted: bool, value: f64) -> Path<C> {
    Path {
        channels: channels.to_vec(),
        converted,
        value,
    }
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + b.abs())
}

fn assert_close_maps<C: Ord + std::fmt::Debug>(
    got: &BTreeMap<C, f64>,
    want: &BTreeMap<C, f64>,
    tolerance: f64,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (c, w) in want {
        assert!(close(got[c], *w, tolerance), "{c:?}: {got:?} vs {want:?}");
    }
}

const A: Channel = Channel::PaidSearch;
const B: Channel = Channel::Email;

/// The hand-solved graph:
///
/// paths `A > B` (converts), `B` (converts), `A` (null), `B > A` (null) give
/// `start > A` 2, `start > B` 2, `A > B` 1, `A > null` 2, `B > conv` 2, `B > A` 1.
/// Conversion probabilities: `x_A = x_B / 3`, `x_B = 2/3 + x_A / 3`, so `x_B = 3/4`,
/// `x_A = 1/4` and `P = (x_A + x_B) / 2 = 1/2`.
/// Without A: `x_B = 2/3`, `P = 1/3`, removal effect `1 - (1/3)/(1/2) = 1/3`.
/// Without B: nothing converts, removal effect 1.
/// The 2 conversions split 1/3 : 1, so A gets 0.5 and B 1.5.
/// Values 30 and 10 split the same way (the chain has one converting state): 10 and 30.
#[test]
fn markov_matches_the_hand_solved_graph() {
    let paths = [
        path(&[A, B], true, 30.0),
        path(&[B], true, 10.0),
        path(&[A], false, 0.0),
        path(&[B, A], false, 0.0),
    ];
    let credit = markov_credit(&paths);
    assert!(close(credit[&A].conversions, 0.5, 1e-12), "{credit:?}");
    assert!(close(credit[&B].conversions, 1.5, 1e-12), "{credit:?}");
    assert!(close(credit[&A].value, 10.0, 1e-12), "{credit:?}");
    assert!(close(credit[&B].value, 30.0, 1e-12), "{credit:?}");
}

#[test]
fn markov_on_single_channel_paths_credits_each_channel_its_own_conversions_and_value() {
    let paths = [
        path(&[A], true, 100.0),
        path(&[B], true, 10.0),
        path(&[B], true, 10.0),
        path(&[B], false, 0.0),
    ];
    let credit = markov_credit(&paths);
    assert!(close(credit[&A].conversions, 1.0, 1e-12));
    assert!(close(credit[&B].conversions, 2.0, 1e-12));
    assert!(close(credit[&A].value, 100.0, 1e-12), "{credit:?}");
    assert!(close(credit[&B].value, 20.0, 1e-12), "{credit:?}");
}

#[test]
fn without_conversions_every_channel_gets_nothing() {
    let paths = [path(&[A, B], false, 0.0)];
    assert_eq!(markov(&paths), BTreeMap::from([(A, 0.0), (B, 0.0)]));
    assert_eq!(shapley_simple(&paths), BTreeMap::from([(A, 0.0), (B, 0.0)]));
    assert!(markov::<Channel>(&[]).is_empty());
}

#[test]
fn shapley_simple_splits_a_path_evenly_over_its_distinct_channels() {
    let paths = [path(&[A, B, A], true, 90.0), path(&[A], true, 10.0)];
    let credit = shapley_simple_credit(&paths);
    assert!(close(credit[&A].conversions, 1.5, 1e-12));
    assert!(close(credit[&B].conversions, 0.5, 1e-12));
    assert!(close(credit[&A].value, 55.0, 1e-12));
    assert!(close(credit[&B].value, 45.0, 1e-12));
}

fn markov<C: Ord + Clone + std::hash::Hash>(paths: &[Path<C>]) -> BTreeMap<C, f64> {
    sma_attribution::markov(paths, MarkovOrder::FIRST)
}

fn markov_credit<C: Ord + Clone + std::hash::Hash>(
    paths: &[Path<C>],
) -> BTreeMap<C, sma_attribution::ChannelCredit> {
    sma_attribution::markov_credit(paths, MarkovOrder::FIRST, MarkovValue::RemovalEffect)
}

/// Conversion probability of the chain by value iteration, on counts kept by name:
/// nothing shared with the crate's elimination.
fn markov_by_iteration(paths: &[Path<u8>]) -> BTreeMap<u8, f64> {
    let channels: BTreeSet<u8> = paths.iter().flat_map(|p| p.channels.clone()).collect();
    let mut start: BTreeMap<u8, f64> = BTreeMap::new();
    let mut next: BTreeMap<(u8, u8), f64> = BTreeMap::new();
    let mut out: BTreeMap<u8, f64> = BTreeMap::new();
    let mut conv: BTreeMap<u8, f64> = BTreeMap::new();
    for p in paths {
        let Some(&first) = p.channels.first() else {
            continue;
        };
        *start.entry(first).or_default() += 1.0;
        for w in p.channels.windows(2) {
            *next.entry((w[0], w[1])).or_default() += 1.0;
        }
        let last = *p.channels.last().unwrap();
        for w in p.channels.windows(2) {
            *out.entry(w[0]).or_default() += 1.0;
        }
        *out.entry(last).or_default() += 1.0;
        if p.converted {
            *conv.entry(last).or_default() += 1.0;
        }
    }
    let starts: f64 = start.values().sum();
    let p_conv = |removed: Option<u8>| {
        let mut x: BTreeMap<u8, f64> = channels.iter().map(|&c| (c, 0.0)).collect();
        for _ in 0..1_000_000 {
            let mut change: f64 = 0.0;
            for &i in &channels {
                let new = if Some(i) == removed {
                    0.0
                } else {
                    let to_others: f64 = channels
                        .iter()
                        .map(|j| next.get(&(i, *j)).copied().unwrap_or(0.0) * x[j])
                        .sum();
                    (to_others + conv.get(&i).copied().unwrap_or(0.0)) / out[&i]
                };
                change = change.max((new - x[&i]).abs());
                x.insert(i, new);
            }
            if change < 1e-15 {
                break;
            }
        }
        start.iter().map(|(c, s)| s / starts * x[c]).sum::<f64>()
    };
    let base = p_conv(None);
    let effects: BTreeMap<u8, f64> = channels
        .iter()
        .map(|&c| {
            (
                c,
                if base > 0.0 {
                    1.0 - p_conv(Some(c)) / base
                } else {
                    0.0
                },
            )
        })
        .collect();
    let sum: f64 = effects.values().sum();
    let total = paths.iter().filter(|p| p.converted).count() as f64;
    effects
        .into_iter()
        .map(|(c, e)| (c, if sum > 0.0 { e / sum * total } else { 0.0 }))
        .collect()
}

/// Shapley values by the definition: every coalition of every channel.
fn shapley_by_enumeration(paths: &[Path<u8>]) -> BTreeMap<u8, f64> {
    let channels: Vec<u8> = paths
        .iter()
        .flat_map(|p| p.channels.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let k = channels.len();
    let mask_of = |p: &Path<u8>| {
        p.channels
            .iter()
            .map(|c| 1u32 << channels.iter().position(|x| x == c).unwrap())
            .fold(0, |m, b| m | b)
    };
    let v = |coalition: u32| {
        paths
            .iter()
            .filter(|p| p.converted && mask_of(p) & !coalition == 0)
            .count() as f64
    };
    let factorial = |n: usize| (1..=n).map(|i| i as f64).product::<f64>();
    channels
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let phi = (0..1u32 << k)
                .filter(|s| s & (1 << i) == 0)
                .map(|s| {
                    let size = s.count_ones() as usize;
                    let weight = factorial(size) * factorial(k - size - 1) / factorial(k);
                    weight * (v(s | 1 << i) - v(s))
                })
                .sum();
            (c, phi)
        })
        .collect()
}

fn total_conversions(paths: &[Path<u8>]) -> f64 {
    paths.iter().filter(|p| p.converted).count() as f64
}

proptest! {
    #[test]
    fn shapley_simple_closed_form_equals_coalition_enumeration(paths in paths_strategy(7, 6, 40)) {
        assert_close_maps(&shapley_simple(&paths), &shapley_by_enumeration(&paths), 1e-9);
    }

    #[test]
    fn markov_elimination_equals_value_iteration(paths in paths_strategy(6, 6, 40)) {
        assert_close_maps(&markov(&paths), &markov_by_iteration(&paths), 1e-7);
    }

    #[test]
    fn both_models_share_out_exactly_the_conversions_and_value(paths in paths_strategy(8, 6, 40)) {
        let total = total_conversions(&paths);
        let value: f64 = paths.iter().map(|p| p.value).sum();
        for credit in [markov_credit(&paths), shapley_simple_credit(&paths)] {
            let conversions: f64 = credit.values().map(|c| c.conversions).sum();
            let credited_value: f64 = credit.values().map(|c| c.value).sum();
            prop_assert!(credit.values().all(|c| c.conversions >= 0.0 && c.value >= 0.0));
            prop_assert!(close(conversions, total, 1e-9), "{conversions} vs {total}");
            if value > 0.0 {
                prop_assert!(close(credited_value, value, 1e-9), "{credited_value} vs {value}");
            }
        }
    }

    #[test]
    fn the_order_of_paths_does_not_matter(
        (paths, shuffled) in paths_strategy(8, 6, 40)
            .prop_flat_map(|p| (Just(p.clone()), Just(p).prop_shuffle()))
    ) {
        // Integer transition counts: the very same floating-point result.
        prop_assert_eq!(markov(&paths), markov(&shuffled));
        prop_assert_eq!(shapley_simple(&paths), shapley_simple(&shuffled));
    }

    #[test]
    fn repeats_of_a_channel_do_not_change_the_markov_result(paths in paths_strategy(5, 6, 40)) {
        let collapsed: Vec<Path<u8>> = paths
            .iter()
            .map(|p| {
                let mut channels = p.channels.clone();
                channels.dedup();
                Path { channels, ..p.clone() }
            })
            .collect();
        assert_close_maps(&markov(&paths), &markov(&collapsed), 1e-9);
    }
}
