//! Markov removal effect of order `k`, solved on the absorbing chain.
//!
//! States: start, one per run of `k` consecutive channels seen on a path (a path
//! shorter than `k` is one state, its whole sequence), and the absorbing `conversion`
//! and `null`; the same states as ChannelAttribution's `markov_model(order = k)`. A
//! path `c1 > ... > cn` moves `start > (c1..ck) > (c2..ck+1) > ... > conversion|null`;
//! the counts, aggregated over all paths, give the transition probabilities. The
//! probability of absorbing in `conversion` from each state solves
//! `x_s = sum_t Q_st x_t + r_s`. Removing channel `c` sends every visit of a state
//! holding `c` to null; its removal effect is `1 - P(conv without c) / P(conv)`, and
//! the effects, normalised, share out the observed conversions.
//!
//! Value is shared the same way with a reward instead of a probability: a transition
//! `s > conversion` is worth the mean value of the conversions it carried, so `x_s` is
//! the expected value absorbed from `s` ([`MarkovValue::RemovalEffect`]); or, on
//! request, each channel's share of conversions times the total value
//! ([`MarkovValue::ConversionShare`]). Integer transition counts make the result the
//! same for any order of the paths. A state followed by itself (a channel repeated
//! `k` times or more) is a self-loop, which does not change absorption, and is left
//! out.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

use crate::chain::{Absorbed, Chain};
use crate::data_driven::{Fit, NormalResample};
use crate::hash::FastHash;
use crate::normal::Normal;
use crate::path::{Alphabet, ChannelCredit, Path};
use crate::tally::{Count, Tally};

/// How many of the latest channels a Markov state remembers: 1 to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MarkovOrder(u8);

impl MarkovOrder {
    pub const MAX: u8 = 4;
    pub const FIRST: MarkovOrder = MarkovOrder(1);

    pub fn new(order: u8) -> Option<MarkovOrder> {
        (1..=Self::MAX)
            .contains(&order)
            .then_some(MarkovOrder(order))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for MarkovOrder {
    fn default() -> Self {
        MarkovOrder::FIRST
    }
}

impl fmt::Display for MarkovOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for MarkovOrder {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<u8>()
            .ok()
            .and_then(MarkovOrder::new)
            .ok_or_else(|| format!("Markov order {s:?} is not one of 1 to {}", Self::MAX))
    }
}

/// What the `value` of a Markov report is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MarkovValue {
    /// The removal effect on expected value, normalised to the total value: a channel
    /// that leads to valuable conversions gets more value than its conversion share.
    #[default]
    RemovalEffect,
    /// The channel's share of conversions times the total value.
    ConversionShare,
}

impl MarkovValue {
    pub const ALL: [MarkovValue; 2] = [MarkovValue::RemovalEffect, MarkovValue::ConversionShare];

    pub fn as_str(self) -> &'static str {
        match self {
            MarkovValue::RemovalEffect => "removal_effect",
            MarkovValue::ConversionShare => "conversion_share",
        }
    }
}

impl FromStr for MarkovValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MarkovValue::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("Markov value {s:?} is not removal_effect or conversion_share"))
    }
}

/// Conversions credited to each channel by the Markov removal effect of `order`.
/// Paths without channels are skipped; with no conversion every channel gets 0.
pub fn markov<C: Ord + Clone + Hash>(paths: &[Path<C>], order: MarkovOrder) -> BTreeMap<C, f64> {
    markov_credit(paths, order, MarkovValue::RemovalEffect)
        .into_iter()
        .map(|(c, credit)| (c, credit.conversions))
        .collect()
}

/// Conversions and value credited to each channel by the Markov removal effect.
pub fn markov_credit<C: Ord + Clone + Hash>(
    paths: &[Path<C>],
    order: MarkovOrder,
    value: MarkovValue,
) -> BTreeMap<C, ChannelCredit> {
    let alphabet = Alphabet::of(paths);
    let tally = Tally::of(paths, &alphabet);
    let model = Markov::new(&tally, order, value);
    alphabet.label(model.credit(&tally.counts)).collect()
}

/// The states and transitions of a tally's sequences, counted afresh for each set of
/// counts (the data, or a bootstrap resample).
pub(crate) struct Markov {
    value: MarkovValue,
    channels: usize,
    /// The channels of each state (a few; repeats possible).
    state_channels: Vec<Vec<u32>>,
    edges: Vec<(u32, u32)>,
    /// Per sequence: its first and last state and its edges (`walks[i]` into `steps`).
    first: Vec<u32>,
    last: Vec<u32>,
    steps: Vec<u32>,
    walks: Vec<std::ops::Range<usize>>,
}

impl Markov {
    /// What the chain reads of a sequence: its first state, its last, and its
    /// transitions as a multiset. Sequences of one class add the same counts to the
    /// chain, so they can be counted as one ([`Tally::merged`]).
    ///
    /// Laid out as the states' length `w` (every state of a sequence has it), the
    /// first and the last state, then the transitions, `2w` values each, sorted:
    /// one allocation per sequence, and fixed-size chunks sort without comparing
    /// slices.
    pub(crate) fn class(sequence: &[u32], order: MarkovOrder) -> Vec<u32> {
        let k = usize::from(order.get());
        let w = k.min(sequence.len()).max(1);
        let mut class = Vec::with_capacity(1 + 2 * w * (sequence.len() + 1));
        class.push(w as u32);
        let mut states = walk(sequence, k);
        let Some(first) = states.next() else {
            return class;
        };
        class.extend_from_slice(first);
        class.extend_from_slice(first);
        let mut previous = first;
        for state in states {
            class.extend_from_slice(previous);
            class.extend_from_slice(state);
            previous = state;
        }
        class[1 + w..1 + 2 * w].copy_from_slice(previous);
        let transitions = &mut class[1 + 2 * w..];
        match w {
            1 => sort_chunks::<2>(transitions),
            2 => sort_chunks::<4>(transitions),
            3 => sort_chunks::<6>(transitions),
            _ => sort_chunks::<8>(transitions),
        }
        class
    }

    pub(crate) fn new(tally: &Tally, order: MarkovOrder, value: MarkovValue) -> Markov {
        let k = usize::from(order.get());
        let mut states: HashMap<&[u32], u32, FastHash> = HashMap::default();
        let mut state_channels: Vec<Vec<u32>> = Vec::new();
        let mut edge_ids: HashMap<(u32, u32), u32, FastHash> = HashMap::default();
        let mut edges: Vec<(u32, u32)> = Vec::new();
        let (mut first, mut last, mut steps, mut walks) = (vec![], vec![], vec![], vec![]);
        for sequence in &tally.sequences {
            let begin = steps.len();
            let mut previous: Option<u32> = None;
            for window in walk(sequence, k) {
                let next = *states.entry(window).or_insert_with(|| {
                    state_channels.push(window.to_vec());
                    state_channels.len() as u32 - 1
                });
                match previous {
                    None => first.push(next),
                    Some(p) => {
                        let id = *edge_ids.entry((p, next)).or_insert_with(|| {
                            edges.push((p, next));
                            edges.len() as u32 - 1
                        });
                        steps.push(id);
                    }
                }
                previous = Some(next);
            }
            last.push(previous.expect("tallied sequences have channels"));
            walks.push(begin..steps.len());
        }
        // Edges sorted by origin, for the sparse solver.
        let mut order: Vec<u32> = (0..edges.len() as u32).collect();
        order.sort_unstable_by_key(|&e| edges[e as usize]);
        let mut renumber = vec![0u32; edges.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old as usize] = new as u32;
        }
        for step in &mut steps {
            *step = renumber[*step as usize];
        }
        let edges = order.iter().map(|&e| edges[e as usize]).collect();
        Markov {
            value,
            channels: tally.channels,
            state_channels,
            edges,
            first,
            last,
            steps,
            walks,
        }
    }

    fn chain(&self, counts: &[Count]) -> Chain {
        let n = self.state_channels.len();
        let mut chain = Chain {
            states: n,
            start: vec![0; n],
            edges: self.edges.clone(),
            next: vec![0; self.edges.len()],
            conversions: vec![0; n],
            value: vec![0.0; n],
            nulls: vec![0; n],
        };
        for (i, count) in counts.iter().enumerate() {
            let times = count.conversions + count.nulls;
            if times == 0 {
                continue;
            }
            chain.start[self.first[i] as usize] += times;
            for &e in &self.steps[self.walks[i].clone()] {
                chain.next[e as usize] += times;
            }
            let last = self.last[i] as usize;
            chain.conversions[last] += count.conversions;
            chain.value[last] += count.value;
            chain.nulls[last] += count.nulls;
        }
        chain
    }
}

/// The states a sequence visits at order `k`, in order: its runs of `k` channels (the
/// whole sequence when shorter), a state repeated at once seen once, since a self-loop
/// does not change absorption.
fn walk(sequence: &[u32], k: usize) -> impl Iterator<Item = &[u32]> {
    let mut previous: Option<&[u32]> = None;
    sequence
        .windows(k.min(sequence.len()).max(1))
        .filter(move |&window| {
            let repeated = previous == Some(window);
            previous = Some(window);
            !repeated
        })
}

/// Sorts `values` as chunks of `N`: transitions of states of `N / 2` channels,
/// at most [`MarkovOrder::MAX`].
fn sort_chunks<const N: usize>(values: &mut [u32]) {
    let (chunks, rest) = values.as_chunks_mut::<N>();
    assert!(rest.is_empty() && N <= 2 * usize::from(MarkovOrder::MAX));
    chunks.sort_unstable();
}

/// Journeys from which the bootstrap draws the chain's counts from their normal
/// approximation: each count is then a sum over thousands of journeys, and the
/// rare ones it gets least right carry the least credit. A test holds the
/// intervals to the exact draws' on 60,000 journeys.
const NORMAL_MIN_JOURNEYS: u64 = 10_000;
/// The chain's dimension (3 × states + transitions) up to which it does: order 1
/// over any channel set of a site, order 2 over a few channels.
const NORMAL_MAX_DIMENSION: usize = 256;

impl Fit for Markov {
    fn credit(&self, counts: &[Count]) -> Vec<ChannelCredit> {
        self.credit_of(&self.chain(counts))
    }

    /// The chain's counts (starts, transitions, conversions, non-conversions) are a
    /// sum over the sequences of their counts times what each adds to the chain:
    /// drawn at once from the normal approximation, at a cost in the chain's
    /// dimension rather than in the sequences.
    fn normal<'a>(&'a self, tally: &Tally) -> Option<NormalResample<'a>> {
        let (s, e) = (self.state_channels.len(), self.edges.len());
        let dimension = 3 * s + e;
        let journeys: u64 = tally.counts.iter().map(|c| c.conversions + c.nulls).sum();
        if journeys < NORMAL_MIN_JOURNEYS
            || dimension > NORMAL_MAX_DIMENSION
            || tally.counts.len() <= dimension
        {
            return None;
        }
        let mut terms = Vec::with_capacity(2 * tally.counts.len());
        for (i, count) in tally.counts.iter().enumerate() {
            let mut walk = vec![(self.first[i] as usize, 1.0)];
            walk.extend(
                self.steps[self.walks[i].clone()]
                    .iter()
                    .map(|&t| (s + t as usize, 1.0)),
            );
            let last = self.last[i] as usize;
            let mut converting = walk.clone();
            converting.push((s + e + last, 1.0));
            walk.push((2 * s + e + last, 1.0));
            terms.push((count.conversions as f64, converting));
            terms.push((count.nulls as f64, walk));
        }
        let normal = Normal::of(dimension, terms.iter().map(|(m, v)| (*m, v.as_slice())));
        // A resample's value: each state's conversions at the mean value they
        // carried in the data.
        let observed = self.chain(&tally.counts);
        let mean_value: Vec<f64> = (0..s)
            .map(|x| match observed.conversions[x] {
                0 => 0.0,
                n => observed.value[x] / n as f64,
            })
            .collect();
        Some(Box::new(move |rng| {
            let mut x = Vec::with_capacity(dimension);
            normal.draw(rng, &mut x);
            let counts = |range: std::ops::Range<usize>| -> Vec<u64> {
                x[range].iter().map(|v| v.round().max(0.0) as u64).collect()
            };
            let conversions = counts(s + e..2 * s + e);
            let chain = Chain {
                states: s,
                start: counts(0..s),
                edges: self.edges.clone(),
                next: counts(s..s + e),
                value: conversions
                    .iter()
                    .zip(&mean_value)
                    .map(|(&c, v)| c as f64 * v)
                    .collect(),
                conversions,
                nulls: counts(2 * s + e..dimension),
            };
            self.credit_of(&chain)
        }))
    }
}

impl Markov {
    /// Conversions and value credited to each channel by the removal effect on
    /// `chain`.
    fn credit_of(&self, chain: &Chain) -> Vec<ChannelCredit> {
        let total_conversions = chain.conversions.iter().sum::<u64>() as f64;
        let total_value: f64 = chain.value.iter().sum();
        let base_x = chain.solution(&|_| false, None);
        let base = chain.absorbed(&base_x);
        let effect = |with: f64, without: f64| {
            if with > 0.0 {
                (1.0 - without / with).max(0.0)
            } else {
                0.0
            }
        };
        let effects: Vec<(f64, f64)> = (0..self.channels as u32)
            .map(|c| {
                let removed = |s: usize| self.state_channels[s].contains(&c);
                let removed: Absorbed = chain.absorbed(&chain.solution(&removed, Some(&base_x)));
                (
                    effect(base.conversions, removed.conversions),
                    effect(base.value, removed.value),
                )
            })
            .collect();
        let sum_conversions: f64 = effects.iter().map(|e| e.0).sum();
        let sum_value: f64 = effects.iter().map(|e| e.1).sum();
        let share = |e: f64, sum: f64| if sum > 0.0 { e / sum } else { 0.0 };
        effects
            .into_iter()
            .map(|(c, v)| {
                let conversion_share = share(c, sum_conversions);
                ChannelCredit {
                    conversions: conversion_share * total_conversions,
                    value: match self.value {
                        MarkovValue::RemovalEffect => share(v, sum_value) * total_value,
                        MarkovValue::ConversionShare => conversion_share * total_value,
                    },
                }
            })
            .collect()
    }
}
