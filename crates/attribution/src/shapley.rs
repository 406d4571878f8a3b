//! Shapley values on conversion probabilities (Shao & Li 2009; the approach of
//! Google's fractribution).
//!
//! A coalition is a set of channels; its value `v(S)` is the conversion rate of the
//! paths whose distinct channels are exactly `S`, converting and not. Every converting
//! path is split over its channels in proportion to their Shapley values in the game
//! restricted to that path's channels, whose grand coalition is worth the path's own
//! conversion rate:
//!
//! `phi_c = sum over S ⊆ P \ {c} of |S|! (|P| - |S| - 1)! / |P|! (v(S ∪ {c}) - v(S))`.
//!
//! Choices, each tested:
//! - **Unseen coalitions** (no path has exactly that channel set) are worth 0, as in
//!   fractribution: no evidence that they convert. `v(∅) = 0`.
//! - **Negative contributions** (a channel whose paths convert less often with it
//!   than without) are clamped at 0 and the rest renormalised. The `phi` of a path sum
//!   to its conversion rate, which is positive for a path that converted, so at least
//!   one is positive; an equal split is the fallback should rounding ever leave none.
//! - **Long paths.** The values are exact, over all `2^n` subsets, for paths of up to
//!   [`MAX_EXACT`] distinct channels. A path with more keeps its `MAX_EXACT` channels
//!   with the most touches (ties: the earlier first touch); the others get no credit
//!   from it, and the kept set's grand coalition is worth the whole path's rate.
//!
//! Value is split in the same proportions as each path's conversion.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::data_driven::Fit;
use crate::hash::FastHash;
use crate::path::{Alphabet, ChannelCredit, Path};
use crate::shapley_simple::distinct;
use crate::tally::{Count, Tally};

/// Distinct channels of a path up to which its Shapley values are exact.
pub const MAX_EXACT: usize = 15;

/// Conversions credited to each channel by Shapley values on conversion probabilities.
pub fn shapley<C: Ord + Clone + Hash>(paths: &[Path<C>]) -> BTreeMap<C, f64> {
    shapley_credit(paths)
        .into_iter()
        .map(|(c, credit)| (c, credit.conversions))
        .collect()
}

/// Conversions and value credited to each channel by Shapley values on conversion
/// probabilities.
pub fn shapley_credit<C: Ord + Clone + Hash>(paths: &[Path<C>]) -> BTreeMap<C, ChannelCredit> {
    let alphabet = Alphabet::of(paths);
    let tally = Tally::of(paths, &alphabet);
    let model = Shapley::new(&tally);
    alphabet.label(model.credit(&tally.counts)).collect()
}

/// No group: the sequence never converts.
const UNSEEN: u32 = u32::MAX;

/// Coalitions by their bitset of channels.
type Coalitions = HashMap<Vec<u64>, u32, FastHash>;

/// Converting paths that split alike: same channel set, same kept channels. Its
/// data lies in flat arrays shared by all groups, which keeps a resample's pass over
/// the groups in cache.
struct Group {
    /// Its kept channels, sorted, in [`Shapley::kept`].
    kept: std::ops::Range<usize>,
    /// Its entries of [`Shapley::seen`].
    seen: std::ops::Range<usize>,
}

/// The coalitions and converting groups of a tally's sequences.
pub(crate) struct Shapley {
    channels: usize,
    coalitions: usize,
    coalition: Vec<u32>,
    /// Per sequence, its group, or [`UNSEEN`].
    group: Vec<u32>,
    groups: Vec<Group>,
    kept: Vec<u32>,
    /// Per group, the subsets of its kept channels (bit `i` = `kept[i]`) that are
    /// coalitions seen in the data, with their coalition; the full subset is the whole
    /// path's coalition. Unseen subsets are worth 0, so only these enter the sum.
    seen: Vec<(u32, u32)>,
    /// `weights[n][s] = s! (n - s - 1)! / n!`.
    weights: Vec<Vec<f64>>,
}

impl Shapley {
    pub(crate) fn new(tally: &Tally) -> Shapley {
        let words = tally.channels.div_ceil(64).max(1);
        let mut ids = Coalitions::default();
        let mut key = Vec::new();
        let coalition: Vec<u32> = tally
            .sequences
            .iter()
            .map(|s| {
                bitset(s, words, &mut key);
                let next = ids.len() as u32;
                *ids.entry(key.clone()).or_insert(next)
            })
            .collect();
        // Small coalitions are subsets of most paths: numbered first, their rates
        // share a few cache lines during every resample.
        let mut by_size: Vec<(u32, &Vec<u64>, u32)> = ids
            .iter()
            .map(|(key, &id)| (key.iter().map(|w| w.count_ones()).sum(), key, id))
            .collect();
        by_size.sort_unstable();
        let mut renumber = vec![0u32; by_size.len()];
        for (new, &(_, _, old)) in by_size.iter().enumerate() {
            renumber[old as usize] = new as u32;
        }
        for id in ids.values_mut() {
            *id = renumber[*id as usize];
        }
        let coalition: Vec<u32> = coalition.iter().map(|&id| renumber[id as usize]).collect();
        let (mut seen, mut all_kept) = (Vec::new(), Vec::new());
        let mut group_ids: HashMap<(u32, Vec<u32>), u32, FastHash> = HashMap::default();
        let mut groups = Vec::new();
        let mut group = Vec::with_capacity(tally.sequences.len());
        for ((sequence, count), &id) in tally.sequences.iter().zip(&tally.counts).zip(&coalition) {
            if count.conversions == 0 {
                group.push(UNSEEN);
                continue;
            }
            let kept = kept(sequence);
            let next = groups.len() as u32;
            let g = *group_ids.entry((id, kept.clone())).or_insert_with(|| {
                let (begin, first) = (seen.len(), all_kept.len());
                seen_subsets(&kept, id, &ids, words, &mut seen);
                all_kept.extend_from_slice(&kept);
                groups.push(Group {
                    kept: first..all_kept.len(),
                    seen: begin..seen.len(),
                });
                next
            });
            group.push(g);
        }
        let factorial = |n: usize| (1..=n).map(|i| i as f64).product::<f64>();
        let weights = (0..=MAX_EXACT)
            .map(|n| {
                (0..n)
                    .map(|s| factorial(s) * factorial(n - s - 1) / factorial(n))
                    .collect()
            })
            .collect();
        Shapley {
            channels: tally.channels,
            coalitions: ids.len(),
            coalition,
            group,
            groups,
            kept: all_kept,
            seen,
            weights,
        }
    }

    /// Each kept channel's share of a path of `group`, given every coalition's rate.
    ///
    /// Regrouped by coalition, `phi_c = sum over T ∋ c of w(|T| - 1) v(T) - sum over
    /// T ∌ c of w(|T|) v(T)` (`w(s) = s! (n - s - 1)! / n!`), a sum over the subsets
    /// with a value only: far fewer than `2^n`.
    fn split(&self, group: &Group, rate: &[f64], phi: &mut Vec<f64>) {
        let n = group.kept.len();
        let weights = &self.weights[n];
        phi.clear();
        phi.resize(n, 0.0);
        let mut all_without = 0.0;
        for &(mask, id) in &self.seen[group.seen.clone()] {
            let v = rate[id as usize];
            let size = mask.count_ones() as usize;
            let with = weights[size - 1] * v;
            let without = weights.get(size).map_or(0.0, |w| w * v);
            all_without += without;
            let mut bits = mask;
            while bits != 0 {
                phi[bits.trailing_zeros() as usize] += with + without;
                bits &= bits - 1;
            }
        }
        for share in phi.iter_mut() {
            *share = (*share - all_without).max(0.0);
        }
        let sum: f64 = phi.iter().sum();
        for share in phi.iter_mut() {
            *share = if sum > 0.0 {
                *share / sum
            } else {
                1.0 / n as f64
            };
        }
    }
}

/// What the model reads of a sequence: its channel set (its coalition) and the
/// channels it credits. Sequences of one class are counted as one
/// ([`Tally::merged`]).
pub(crate) fn class(sequence: &[u32]) -> (Vec<u32>, Vec<u32>) {
    (distinct(sequence), kept(sequence))
}

/// The channels of a sequence whose Shapley values are computed, sorted: all of them,
/// or the [`MAX_EXACT`] with the most touches (ties: earlier first touch).
fn kept(sequence: &[u32]) -> Vec<u32> {
    let set = distinct(sequence);
    if set.len() <= MAX_EXACT {
        return set;
    }
    let mut ranked: Vec<(usize, usize, u32)> = set
        .iter()
        .map(|&c| {
            let touches = sequence.iter().filter(|&&x| x == c).count();
            let first = sequence.iter().position(|&x| x == c).unwrap_or(0);
            (usize::MAX - touches, first, c)
        })
        .collect();
    ranked.sort_unstable();
    let mut kept: Vec<u32> = ranked[..MAX_EXACT].iter().map(|r| r.2).collect();
    kept.sort_unstable();
    kept
}

/// A set of channels as a bitset of `words` words, in `out`.
fn bitset(channels: &[u32], words: usize, out: &mut Vec<u64>) {
    out.clear();
    out.resize(words, 0);
    for &c in channels {
        out[c as usize / 64] |= 1 << (c % 64);
    }
}

/// Appends to `seen` the subsets of `kept` that are seen coalitions, the full one
/// being `whole`.
fn seen_subsets(
    kept: &[u32],
    whole: u32,
    ids: &Coalitions,
    words: usize,
    seen: &mut Vec<(u32, u32)>,
) {
    let full = (1u32 << kept.len()) - 1;
    let mut key = vec![0u64; words];
    for mask in 1..full {
        key.fill(0);
        let mut bits = mask;
        while bits != 0 {
            let c = kept[bits.trailing_zeros() as usize];
            key[c as usize / 64] |= 1 << (c % 64);
            bits &= bits - 1;
        }
        if let Some(&id) = ids.get(key.as_slice()) {
            seen.push((mask, id));
        }
    }
    seen.push((full, whole));
}

impl Fit for Shapley {
    fn credit(&self, counts: &[Count]) -> Vec<ChannelCredit> {
        let mut converted = vec![0u64; self.coalitions];
        let mut seen = vec![0u64; self.coalitions];
        let mut by_group = vec![Count::default(); self.groups.len()];
        for ((count, &c), &g) in counts.iter().zip(&self.coalition).zip(&self.group) {
            converted[c as usize] += count.conversions;
            seen[c as usize] += count.conversions + count.nulls;
            if g != UNSEEN {
                let sum = &mut by_group[g as usize];
                sum.conversions += count.conversions;
                sum.value += count.value;
            }
        }
        let rate: Vec<f64> = converted
            .iter()
            .zip(&seen)
            .map(|(&c, &n)| if n > 0 { c as f64 / n as f64 } else { 0.0 })
            .collect();
        let mut credit = vec![ChannelCredit::default(); self.channels];
        let mut phi = Vec::new();
        for (group, sum) in self.groups.iter().zip(&by_group) {
            if sum.conversions == 0 {
                continue;
            }
            self.split(group, &rate, &mut phi);
            for (&c, &share) in self.kept[group.kept.clone()].iter().zip(&phi) {
                credit[c as usize].conversions += sum.conversions as f64 * share;
                credit[c as usize].value += sum.value * share;
            }
        }
        credit
    }
}
