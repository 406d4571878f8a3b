//! Paths counted once per distinct channel sequence: what the data-driven models fit
//! on, and what the bootstrap reweights.

use std::collections::HashMap;
use std::hash::Hash;

use crate::hash::FastHash;
use crate::path::{Alphabet, Journeys};

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
    pub(crate) fn of<C: Ord + Hash, J: Journeys<Channel = C>>(
        paths: &[J],
        alphabet: &Alphabet<'_, C>,
    ) -> Tally {
        // Keyed by the paths' own channel slices: only distinct sequences are
        // translated to indices.
        let mut at: HashMap<&[C], usize, FastHash> = HashMap::default();
        let mut distinct: Vec<&[C]> = Vec::new();
        let mut counts: Vec<Count> = Vec::new();
        for path in paths.iter().filter(|p| !p.channels().is_empty()) {
            let i = *at.entry(path.channels()).or_insert_with(|| {
                distinct.push(path.channels());
                counts.push(Count::default());
                distinct.len() - 1
            });
            let count = &mut counts[i];
            let (conversions, nulls, value) = path.outcomes();
            count.conversions += conversions;
            count.nulls += nulls;
            count.value += value;
        }
        let mut sequences: Vec<(Vec<u32>, Count)> = distinct
            .iter()
            .zip(counts)
            .map(|(channels, count)| {
                let indices = channels.iter().map(|c| alphabet.index(c) as u32);
                (indices.collect(), count)
            })
            .collect();
        sequences.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (sequences, counts) = sequences.into_iter().unzip();
        Tally {
            channels: alphabet.len(),
            sequences,
            counts,
        }
    }

    /// The sequences that `class` maps alike counted as one, under the first of
    /// them. For a model that reads a sequence only through its class this is the
    /// same fit on fewer sequences, and the bootstrap draws once per class, which
    /// is exact: the sum of independent Poisson(`n`) draws is Poisson of the summed
    /// `n`, for conversions and for non-conversions alike.
    pub(crate) fn merged<K: Hash + Eq>(&self, class: impl Fn(&[u32]) -> K) -> Tally {
        let mut at: HashMap<K, usize, FastHash> = HashMap::default();
        let (mut sequences, mut counts): (Vec<Vec<u32>>, Vec<Count>) = (vec![], vec![]);
        for (sequence, count) in self.sequences.iter().zip(&self.counts) {
            let i = *at.entry(class(sequence)).or_insert_with(|| {
                sequences.push(sequence.clone());
                counts.push(Count::default());
                sequences.len() - 1
            });
            counts[i].conversions += count.conversions;
            counts[i].nulls += count.nulls;
            counts[i].value += count.value;
        }
        Tally {
            channels: self.channels,
            sequences,
            counts,
        }
    }
}
