//! Markov models of order 2 and more: hand-solved chains, and the value readings.

use std::collections::BTreeMap;

use crate::support::paths_strategy;
use proptest::prelude::*;
use sma_attribution::{ChannelCredit, MarkovOrder, MarkovValue, Path, markov, markov_credit};

const A: u8 = 0;
const B: u8 = 1;
const C: u8 = 2;

fn path(channels: &[u8], converted: bool, value: f64) -> Path<u8> {
    Path {
        channels: channels.to_vec(),
        converted,
        value,
    }
}

fn order(k: u8) -> MarkovOrder {
    MarkovOrder::new(k).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12 * (1.0 + b.abs())
}

/// `A > B` converts (30), `C > B` does not, `B` converts (10), `A > B > A` does not.
/// Second-order states: `(A,B)`, `(C,B)`, `(B)` (a path shorter than the order is its
/// whole sequence) and `(B,A)`. Transitions: start to `(A,B)` 2, `(C,B)` 1, `(B)` 1;
/// `(A,B)` to conversion 1 and to `(B,A)` 1; `(B,A)`, `(C,B)` to null; `(B)` to
/// conversion. So `x(A,B) = 1/2`, `x(B) = 1`, the others 0, and
/// `P = (2 * 1/2 + 1) / 4 = 1/2`.
/// Without A (`(A,B)`, `(B,A)`): `P = 1/4`, effect 1/2. Without B (every state):
/// effect 1. Without C (`(C,B)`, which never converts): effect 0.
/// The 2 conversions split 1/2 : 1 : 0, so A gets 2/3, B 4/3, C 0.
/// Value: `x(A,B) = 15`, `x(B) = 10`, `E = 10`; without A `E = 10/4`, effect 3/4;
/// without B 1. The 40 split 3 : 4: A 120/7, B 160/7.
fn second_order_paths() -> Vec<Path<u8>> {
    vec![
        path(&[A, B], true, 30.0),
        path(&[C, B], false, 0.0),
        path(&[B], true, 10.0),
        path(&[A, B, A], false, 0.0),
    ]
}

#[test]
fn a_second_order_chain_matches_the_hand_solution() {
    let credit = markov_credit(&second_order_paths(), order(2), MarkovValue::RemovalEffect);
    let want = [
        (A, 2.0 / 3.0, 120.0 / 7.0),
        (B, 4.0 / 3.0, 160.0 / 7.0),
        (C, 0.0, 0.0),
    ];
    for (c, conversions, value) in want {
        assert!(close(credit[&c].conversions, conversions), "{credit:?}");
        assert!(close(credit[&c].value, value), "{credit:?}");
    }
}

/// The conversion-share reading gives value in proportion to conversions: A 1/3 and
/// B 2/3 of the 40.
#[test]
fn the_conversion_share_reading_splits_value_like_conversions() {
    let credit = markov_credit(
        &second_order_paths(),
        order(2),
        MarkovValue::ConversionShare,
    );
    assert!(close(credit[&A].value, 40.0 / 3.0), "{credit:?}");
    assert!(close(credit[&B].value, 80.0 / 3.0), "{credit:?}");
    assert!(close(credit[&C].value, 0.0), "{credit:?}");
}

/// First order merges the two visits of B: C then looks as useful as A (both lead to
/// B, which converts half the time), where second order sees C's B never converts.
#[test]
fn second_order_tells_apart_what_first_order_merges() {
    let paths = [path(&[A, B], true, 0.0), path(&[C, B], false, 0.0)];
    let first = markov(&paths, order(1));
    assert_eq!(first, BTreeMap::from([(A, 0.25), (B, 0.5), (C, 0.25)]));
    let second = markov(&paths, order(2));
    assert_eq!(second, BTreeMap::from([(A, 0.5), (B, 0.5), (C, 0.0)]));
}

#[test]
fn orders_are_one_to_four() {
    assert_eq!(MarkovOrder::default(), order(1));
    assert!(MarkovOrder::new(0).is_none() && MarkovOrder::new(5).is_none());
    assert_eq!("3".parse::<MarkovOrder>(), Ok(order(3)));
    assert!("5".parse::<MarkovOrder>().is_err());
}

fn totals(credit: &BTreeMap<u8, ChannelCredit>) -> (f64, f64) {
    (
        credit.values().map(|c| c.conversions).sum(),
        credit.values().map(|c| c.value).sum(),
    )
}

proptest! {
    #[test]
    fn every_order_shares_out_exactly_the_conversions_and_value(
        paths in paths_strategy(8, 7, 80),
        k in 1..=MarkovOrder::MAX,
    ) {
        let conversions = paths.iter().filter(|p| p.converted).count() as f64;
        let value: f64 = paths.iter().map(|p| p.value).sum();
        for reading in MarkovValue::ALL {
            let credit = markov_credit(&paths, order(k), reading);
            let (got_conversions, got_value) = totals(&credit);
            prop_assert!(credit.values().all(|c| c.conversions >= 0.0 && c.value >= 0.0));
            prop_assert!((got_conversions - conversions).abs() < 1e-9 * (1.0 + conversions));
            if value > 0.0 && conversions > 0.0 {
                prop_assert!((got_value - value).abs() < 1e-9 * (1.0 + value));
            }
        }
    }

    #[test]
    fn the_order_of_paths_does_not_matter_at_any_order(
        (paths, shuffled) in paths_strategy(6, 7, 80)
            .prop_flat_map(|p| (Just(p.clone()), Just(p).prop_shuffle())),
        k in 1..=MarkovOrder::MAX,
    ) {
        prop_assert_eq!(markov(&paths, order(k)), markov(&shuffled, order(k)));
    }
}
