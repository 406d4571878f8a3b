//! Bootstrap intervals of the data-driven shares: determinism, and how shares and
//! intervals move when the data is renamed or doubled.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sma_attribution::{
    Bootstrap, DataDriven, DataDrivenConfig, Estimate, LOW_DATA_WIDTH, MarkovOrder, MarkovValue,
    Path, PathCount, ShareInterval, estimate, estimate_coded, markov_credit, shapley_credit,
    shapley_simple_credit,
};

fn cfg(resamples: u32, seed: u64) -> DataDrivenConfig {
    DataDrivenConfig {
        bootstrap: Bootstrap { resamples, seed },
        ..DataDrivenConfig::default()
    }
}

fn shares(estimates: &BTreeMap<u8, Estimate>) -> BTreeMap<u8, f64> {
    let total: f64 = estimates.values().map(|e| e.credit.conversions).sum();
    estimates
        .iter()
        .map(|(&c, e)| (c, e.credit.conversions / total))
        .collect()
}

fn width(i: &ShareInterval) -> f64 {
    i.high - i.low
}

/// Every model, Markov at orders 1 and 2.
fn models() -> Vec<(DataDriven, MarkovOrder)> {
    let mut all: Vec<_> = DataDriven::ALL
        .into_iter()
        .map(|m| (m, MarkovOrder::FIRST))
        .collect();
    // Order 4 walks states of every length up to 4 (shorter sequences have
    // shorter states).
    for order in [2, 4] {
        all.push((DataDriven::Markov, MarkovOrder::new(order).unwrap()));
    }
    all
}

/// A table of the 5 channels as a store might code them: out of order, one
/// code not used by any path (9), and channel 2 under two codes.
const TABLE: [u8; 7] = [4, 2, 9, 0, 3, 1, 2];

/// Each counted path as two coded ones, its conversions and its
/// non-conversions, that spell the same sequence with channel 2 coded
/// differently: the coded estimate merges them back.
fn coded(counted: &[PathCount<u8>]) -> Vec<PathCount<u32>> {
    let code = |c: u8, twin: bool| match (c, twin) {
        (2, true) => 6,
        _ => TABLE.iter().position(|&t| t == c).unwrap() as u32,
    };
    counted
        .iter()
        .flat_map(|p| {
            let spell = |twin| p.channels.iter().map(|&c| code(c, twin)).collect();
            [
                PathCount {
                    channels: spell(false),
                    conversions: p.conversions,
                    non_conversions: 0,
                    value: p.value,
                },
                PathCount {
                    channels: spell(true),
                    conversions: 0,
                    non_conversions: p.non_conversions,
                    value: 0.0,
                },
            ]
        })
        .collect()
}

fn run(
    paths: &[Path<u8>],
    (model, order): (DataDriven, MarkovOrder),
    c: DataDrivenConfig,
) -> BTreeMap<u8, Estimate> {
    estimate(paths, model, &DataDrivenConfig { order, ..c })
}

/// Paths over 5 channels with at least one conversion.
fn paths_strategy(min: usize) -> impl Strategy<Value = Vec<Path<u8>>> {
    prop::collection::vec(
        (prop::collection::vec(0..5u8, 1..5), 0..3u8).prop_map(|(channels, outcome)| Path {
            channels,
            converted: outcome == 0,
            value: if outcome == 0 { 50.0 } else { 0.0 },
        }),
        min..min * 3,
    )
    .prop_filter("needs a conversion", |p| p.iter().any(|p| p.converted))
}

#[test]
fn the_same_data_and_seed_give_the_same_intervals() {
    let paths = sma_synth::paths(2_000, 6, 1);
    for model in models() {
        let a = run(&paths, model, cfg(50, 9));
        assert_eq!(a, run(&paths, model, cfg(50, 9)));
        assert_ne!(a, run(&paths, model, cfg(50, 10)), "{model:?}");
        for e in a.values() {
            let i = e.interval.expect("resamples give intervals");
            assert!(0.0 <= i.low && i.low <= i.high && i.high <= 1.0, "{i:?}");
        }
    }
}

#[test]
fn without_resamples_there_is_no_interval_and_few_paths_are_low_data() {
    let paths = sma_synth::paths(30, 4, 2);
    for model in models() {
        assert!(
            run(&paths, model, cfg(0, 1))
                .values()
                .all(|e| e.interval.is_none())
        );
        let few = run(&paths, model, cfg(200, 1));
        assert!(
            few.values().any(|e| e.interval.unwrap().low_data()),
            "{model:?}: {few:?}"
        );
    }
    let many = sma_synth::paths(200_000, 4, 2);
    for e in run(&many, models()[0], cfg(50, 1)).values() {
        assert!(width(&e.interval.unwrap()) < LOW_DATA_WIDTH, "{e:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn shares_sum_to_one(paths in paths_strategy(10)) {
        for model in models() {
            let total: f64 = shares(&run(&paths, model, cfg(0, 1))).values().sum();
            prop_assert!((total - 1.0).abs() < 1e-9, "{:?}: {}", model, total);
        }
    }

    #[test]
    fn renaming_channels_permutes_shares(paths in paths_strategy(10)) {
        // 0..5 -> 4, 2, 0, 3, 1: not order-preserving.
        let rename = |c: u8| [4, 2, 0, 3, 1][usize::from(c)];
        let renamed: Vec<Path<u8>> = paths
            .iter()
            .map(|p| Path { channels: p.channels.iter().map(|&c| rename(c)).collect(), ..p.clone() })
            .collect();
        for model in models() {
            let before = shares(&run(&paths, model, cfg(0, 1)));
            let after = shares(&run(&renamed, model, cfg(0, 1)));
            prop_assert_eq!(before.len(), after.len());
            for (c, share) in before {
                prop_assert!((after[&rename(c)] - share).abs() < 1e-9, "{:?}", model);
            }
        }
    }

    #[test]
    fn doubling_every_count_keeps_shares_and_narrows_intervals(paths in paths_strategy(40)) {
        let doubled = [paths.clone(), paths.clone()].concat();
        for model in models() {
            let once = run(&paths, model, cfg(300, 5));
            let twice = run(&doubled, model, cfg(300, 5));
            for (c, share) in shares(&once) {
                prop_assert!((shares(&twice)[&c] - share).abs() < 1e-9, "{:?}", model);
            }
            let total = |e: &BTreeMap<u8, Estimate>| -> f64 {
                e.values().map(|e| width(&e.interval.unwrap())).sum()
            };
            prop_assert!(
                total(&twice) < total(&once),
                "{:?}: {} vs {}", model, total(&twice), total(&once)
            );
        }
    }

    #[test]
    fn estimates_credit_what_the_models_credit(paths in paths_strategy(20)) {
        // `estimate` fits each model on the sequences it tells apart, merged;
        // the models' own functions fit on every distinct sequence.
        for model in models() {
            let (kind, order) = model;
            let whole = match kind {
                DataDriven::Markov => markov_credit(&paths, order, MarkovValue::RemovalEffect),
                DataDriven::Shapley => shapley_credit(&paths),
                DataDriven::ShapleySimple => shapley_simple_credit(&paths),
            };
            let estimated = run(&paths, model, cfg(0, 1));
            prop_assert_eq!(whole.len(), estimated.len());
            for (c, credit) in whole {
                let e = estimated[&c].credit;
                prop_assert!((e.conversions - credit.conversions).abs() < 1e-9, "{:?}", model);
                prop_assert!((e.value - credit.value).abs() < 1e-6, "{:?}", model);
            }
        }
    }

    #[test]
    fn counted_paths_give_what_their_journeys_give(paths in paths_strategy(20)) {
        // What a store of path totals hands the models: one count per sequence.
        let mut counted: BTreeMap<Vec<u8>, PathCount<u8>> = BTreeMap::new();
        for path in &paths {
            let count = counted.entry(path.channels.clone()).or_insert(PathCount {
                channels: path.channels.clone(),
                conversions: 0,
                non_conversions: 0,
                value: 0.0,
            });
            if path.converted {
                count.conversions += 1;
                count.value += path.value;
            } else {
                count.non_conversions += 1;
            }
        }
        let counted: Vec<PathCount<u8>> = counted.into_values().collect();
        let coded = coded(&counted);
        for model in models() {
            let journeys = run(&paths, model, cfg(50, 3));
            let (kind, order) = model;
            let cfg = DataDrivenConfig { order, ..cfg(50, 3) };
            let counts = estimate(&counted, kind, &cfg);
            prop_assert_eq!(journeys.len(), counts.len());
            for (c, e) in &journeys {
                let (a, b) = (e.credit, counts[c].credit);
                prop_assert!((a.conversions - b.conversions).abs() < 1e-9, "{:?}", model);
                prop_assert!((a.value - b.value).abs() < 1e-6, "{:?}", model);
                prop_assert_eq!(e.interval, counts[c].interval, "{:?}", model);
            }
            let from_codes = estimate_coded(&TABLE, coded.clone(), kind, &cfg);
            prop_assert_eq!(&from_codes, &counts, "{:?}", model);
        }
    }
}
