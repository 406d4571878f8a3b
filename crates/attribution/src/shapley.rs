//! Shapley values of channels for the path-coverage game.
//!
//! The characteristic function of a coalition `S` of channels is the conversions of the
//! paths whose channel set is a subset of `S`: `v(S) = sum over sets P ⊆ S of w_P`,
//! with `w_P` the conversions of paths whose distinct channels are exactly `P`. That is
//! a sum of unanimity games, and the Shapley value of the unanimity game of `P` gives
//! `1/|P|` to each member, so
//!
//! `phi_c = sum over P containing c of w_P / |P|`,
//!
//! exact for any number of channels, at the cost of one pass over the paths. It is what
//! enumerating all `2^k` coalitions computes (the tests check that for small `k`), with
//! no limit on `k`. Value is shared the same way with `w_P` the summed value.

use std::collections::BTreeMap;

use crate::path::{Alphabet, ChannelCredit, Path};

/// Conversions credited to each channel by its Shapley value. Channels seen only on
/// non-converting paths get 0.
pub fn shapley<C: Ord + Clone>(paths: &[Path<C>]) -> BTreeMap<C, f64> {
    shapley_credit(paths)
        .into_iter()
        .map(|(c, credit)| (c, credit.conversions))
        .collect()
}

/// Conversions and value credited to each channel by its Shapley value.
pub fn shapley_credit<C: Ord + Clone>(paths: &[Path<C>]) -> BTreeMap<C, ChannelCredit> {
    let alphabet = Alphabet::of(paths);
    let k = alphabet.len();
    // Conversions counted per (channel, size of the path's channel set): integers, so
    // the result does not depend on the order of the paths.
    let mut by_size = vec![0u64; k * (k + 1)];
    let mut value = vec![0.0; k];
    let mut set = Vec::new();
    for path in paths.iter().filter(|p| p.converted) {
        set.clear();
        set.extend(path.channels.iter().map(|c| alphabet.index(c)));
        set.sort_unstable();
        set.dedup();
        let size = set.len();
        for &c in &set {
            by_size[c * (k + 1) + size] += 1;
            value[c] += path.value / size as f64;
        }
    }
    let credits = value
        .into_iter()
        .enumerate()
        .map(|(c, value)| ChannelCredit {
            conversions: (1..=k)
                .map(|size| by_size[c * (k + 1) + size] as f64 / size as f64)
                .sum(),
            value,
        })
        .collect();
    alphabet.label(credits).collect()
}
