//! Paths counted once per distinct channel sequence: what the data-driven models fit
//! on, and what the bootstrap reweights.

use std::collections::HashMap;

use crate::hash::FastHash;
use crate::path::{Alphabet, Path};

/// How often one distinct sequence was seen, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Count {
    pub(crate) conversions: u64,
    pub(crate) nulls: u64,
    /// Summed value of the conversions.
    pub(crate) value: f64,
}

/// The distinct channel sequences of a set of paths (channels as alphabet indices) in
/// sequence order, with their counts: the same for any order of the paths.
pub(crate) struct Tally {
    pub(crate) channels: usize,
    pub(crate) sequences: Vec<Vec<u32>>,
    pub(crate) counts: Vec<Count>,
}

impl Tally {
    /// Paths without channels are left out: no channel can be credited for them.
    pub(crate) fn of<C: Ord>(paths: &[Path<C>], alphabet: &Alphabet<'_, C>) -> Tally {
        let mut at: HashMap<Vec<u32>, usize, FastHash> = HashMap::default();
        let mut sequences: Vec<Vec<u32>> = Vec::new();
        let mut counts: Vec<Count> = Vec::new();
        let mut sequence = Vec::new();
        for path in paths.iter().filter(|p| !p.channels.is_empty()) {
            sequence.clear();
            sequence.extend(path.channels.iter().map(|c| alphabet.index(c) as u32));
            let i = match at.get(&sequence) {
                Some(&i) => i,
                None => {
                    at.insert(sequence.clone(), sequences.len());
                    sequences.push(sequence.clone());
                    counts.push(Count::default());
                    sequences.len() - 1
                }
            };
            let count = &mut counts[i];
            if path.converted {
                count.conversions += 1;
                count.value += path.value;
            } else {
                count.nulls += 1;
            }
        }
        let mut order: Vec<usize> = (0..sequences.len()).collect();
        order.sort_unstable_by(|&a, &b| sequences[a].cmp(&sequences[b]));
        Tally {
            channels: alphabet.len(),
            sequences: order
                .iter()
                .map(|&i| std::mem::take(&mut sequences[i]))
                .collect(),
            counts: order.iter().map(|&i| counts[i]).collect(),
        }
    }

    pub(crate) fn conversions(counts: &[Count]) -> u64 {
        counts.iter().map(|c| c.conversions).sum()
    }
}
