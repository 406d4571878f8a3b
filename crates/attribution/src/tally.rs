//! Paths counted once per distinct channel sequence: what the data-driven models fit
//! on, and what the bootstrap reweights.

use std::collections::HashMap;
use std::hash::Hash;

use crate::hash::FastHash;
use crate::path::{Alphabet, Journeys, PathCount};

/// How often one distinct sequence was seen, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Count {
    pub(crate) conversions: u64,
    pub(crate) nulls: u64,
    /// Summed value of the conversions.
    pub(crate) value: f64,
}

impl Count {
    fn add(&mut self, other: &Count) {
        self.conversions += other.conversions;
        self.nulls += other.nulls;
        self.value += other.value;
    }
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
            let (conversions, nulls, value) = path.outcomes();
            counts[i].add(&Count {
                conversions,
                nulls,
                value,
            });
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

    /// [`Tally::of`] paths that are each counted once already, with channels as
    /// indices that `index` maps to the alphabet's: sorted, and the few paths
    /// that map alike merged as neighbours, so no path is hashed.
    pub(crate) fn coded(paths: Vec<PathCount<u32>>, index: &[u32], channels: usize) -> Tally {
        let mut sequences: Vec<(Vec<u32>, Count)> = paths
            .into_iter()
            .filter(|p| !p.channels.is_empty())
            .map(|mut p| {
                for c in &mut p.channels {
                    *c = index[*c as usize];
                }
                let count = Count {
                    conversions: p.conversions,
                    nulls: p.non_conversions,
                    value: p.value,
                };
                (p.channels, count)
            })
            .collect();
        sequences.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut tally = Tally {
            channels,
            sequences: Vec::with_capacity(sequences.len()),
            counts: Vec::with_capacity(sequences.len()),
        };
        for (sequence, count) in sequences {
            match tally.sequences.last() {
                Some(last) if *last == sequence => tally
                    .counts
                    .last_mut()
                    .expect("a count per sequence")
                    .add(&count),
                _ => {
                    tally.sequences.push(sequence);
                    tally.counts.push(count);
                }
            }
        }
        tally
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
            counts[i].add(count);
        }
        Tally {
            channels: self.channels,
            sequences,
            counts,
        }
    }
}
