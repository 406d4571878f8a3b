//! First-order Markov removal effect, solved exactly on the absorbing chain.
//!
//! States: start, one per channel, and the absorbing `conversion` and `null`. Every path
//! `c1 > ... > cn` adds the transitions `start > c1 > ... > cn > conversion|null`; the
//! counts, aggregated over all paths, give the transition probabilities. The probability
//! of absorbing in `conversion` from channel `i` solves `x_i = sum_j Q_ij x_j + r_i`, a
//! linear system with one unknown per channel. Removing channel `c` sends every visit of
//! `c` to `null` (`x_c = 0`); its removal effect is `1 - P(conv without c) / P(conv)`,
//! and the effects, normalised, share out the observed conversions.
//!
//! Value is shared the same way with a reward instead of a probability: a transition
//! `i > conversion` is worth the mean value of the conversions it carried, so `x_i` is the
//! expected value absorbed from `i`. Integer transition counts make the result exactly
//! the same for any order of the paths; consecutive repeats of a channel are self-loops,
//! which do not change absorption, so paths need no collapsing.

use std::collections::BTreeMap;

use crate::path::{Alphabet, ChannelCredit, Path};
use crate::solve::solve;

/// Conversions credited to each channel by the Markov removal effect. Paths without
/// channels are skipped; with no conversion every channel gets 0.
pub fn markov<C: Ord + Clone>(paths: &[Path<C>]) -> BTreeMap<C, f64> {
    markov_credit(paths)
        .into_iter()
        .map(|(c, credit)| (c, credit.conversions))
        .collect()
}

/// Conversions and value credited to each channel by the Markov removal effect (the
/// value by the removal effect on expected value).
pub fn markov_credit<C: Ord + Clone>(paths: &[Path<C>]) -> BTreeMap<C, ChannelCredit> {
    let alphabet = Alphabet::of(paths);
    let chain = Chain::count(paths, &alphabet);
    let shares = chain.credit();
    alphabet.label(shares).collect()
}

/// Transition counts of the aggregated paths over `k` channel states.
struct Chain {
    k: usize,
    start: Vec<u64>,
    /// `k x k`, row-major: from channel, to channel.
    next: Vec<u64>,
    conversions: Vec<u64>,
    /// Summed value of the conversions reached from each channel.
    value: Vec<f64>,
    nulls: Vec<u64>,
}

/// Expected absorption per unit entering at start, by conversion count and by value.
#[derive(Clone, Copy)]
struct Absorbed {
    conversions: f64,
    value: f64,
}

impl Chain {
    fn count<C: Ord>(paths: &[Path<C>], alphabet: &Alphabet<'_, C>) -> Chain {
        let k = alphabet.len();
        let mut chain = Chain {
            k,
            start: vec![0; k],
            next: vec![0; k * k],
            conversions: vec![0; k],
            value: vec![0.0; k],
            nulls: vec![0; k],
        };
        for path in paths {
            let mut previous: Option<usize> = None;
            for channel in &path.channels {
                let i = alphabet.index(channel);
                match previous {
                    None => chain.start[i] += 1,
                    Some(p) => chain.next[p * k + i] += 1,
                }
                previous = Some(i);
            }
            let Some(last) = previous else { continue };
            if path.converted {
                chain.conversions[last] += 1;
                chain.value[last] += path.value;
            } else {
                chain.nulls[last] += 1;
            }
        }
        chain
    }

    fn credit(&self) -> Vec<ChannelCredit> {
        let total_conversions: u64 = self.conversions.iter().sum();
        let total_value: f64 = self.value.iter().sum();
        let base = self.absorbed(None);
        let effect = |with: f64, without: f64| {
            if with > 0.0 {
                (1.0 - without / with).max(0.0)
            } else {
                0.0
            }
        };
        let effects: Vec<(f64, f64)> = (0..self.k)
            .map(|c| {
                let removed = self.absorbed(Some(c));
                (
                    effect(base.conversions, removed.conversions),
                    effect(base.value, removed.value),
                )
            })
            .collect();
        let sum_conversions: f64 = effects.iter().map(|e| e.0).sum();
        let sum_value: f64 = effects.iter().map(|e| e.1).sum();
        let share = |e: f64, sum: f64, total: f64| if sum > 0.0 { e / sum * total } else { 0.0 };
        effects
            .into_iter()
            .map(|(c, v)| ChannelCredit {
                conversions: share(c, sum_conversions, total_conversions as f64),
                value: share(v, sum_value, total_value),
            })
            .collect()
    }

    /// Solves `(I - Q) x = r` for both rewards, with channel `removed` absorbing in null.
    fn absorbed(&self, removed: Option<usize>) -> Absorbed {
        let k = self.k;
        let starts: u64 = self.start.iter().sum();
        if starts == 0 {
            return Absorbed {
                conversions: 0.0,
                value: 0.0,
            };
        }
        let mut a = vec![0.0; k * k];
        let mut r = vec![0.0; k * 2];
        for i in 0..k {
            a[i * k + i] = 1.0;
            if Some(i) == removed {
                continue;
            }
            let row = &self.next[i * k..(i + 1) * k];
            let out = (row.iter().sum::<u64>() + self.conversions[i] + self.nulls[i]) as f64;
            for (j, &n) in row.iter().enumerate() {
                a[i * k + j] -= n as f64 / out;
            }
            r[i * 2] = self.conversions[i] as f64 / out;
            r[i * 2 + 1] = self.value[i] / out;
        }
        // Every channel state lies on an observed path that ends absorbed, so absorption
        // is reachable from each and `I - Q` is non-singular.
        let x = solve(a, r, k, 2);
        let mut absorbed = Absorbed {
            conversions: 0.0,
            value: 0.0,
        };
        for (i, &s) in self.start.iter().enumerate() {
            let p = s as f64 / starts as f64;
            absorbed.conversions += p * x[i * 2];
            absorbed.value += p * x[i * 2 + 1];
        }
        absorbed
    }
}
