//! Paths: journeys reduced to their channel sequence and outcome, the input of the
//! data-driven models.

use serde::Serialize;
use sma_sources::Channel;

/// One journey as the data-driven models see it: the channels of its touches in time
/// order and whether it ended in a conversion.
///
/// Generic over the channel type so that the models can be run (and benchmarked) on
/// any alphabet; the product uses [`Channel`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Path<C = Channel> {
    pub channels: Vec<C>,
    pub converted: bool,
    /// Value of the conversion (0 when none or not converted).
    pub value: f64,
}

/// The journeys of one channel sequence, counted: what a store of path totals holds.
/// The data-driven models take these as they take [`Path`]s, at a cost that grows
/// with the distinct sequences rather than with the journeys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathCount<C = Channel> {
    pub channels: Vec<C>,
    pub conversions: u64,
    /// Journeys of this sequence that did not convert.
    pub non_conversions: u64,
    /// Summed value of the conversions.
    pub value: f64,
}

/// Journeys as the data-driven models read them: one [`Path`] each, or many at once
/// in a [`PathCount`].
pub trait Journeys: sealed::Sealed {
    type Channel;
    fn channels(&self) -> &[Self::Channel];
    /// Conversions, journeys that did not convert, and the conversions' value.
    fn outcomes(&self) -> (u64, u64, f64);
}

impl<C> Journeys for Path<C> {
    type Channel = C;
    fn channels(&self) -> &[C] {
        &self.channels
    }
    fn outcomes(&self) -> (u64, u64, f64) {
        match self.converted {
            true => (1, 0, self.value),
            false => (0, 1, 0.0),
        }
    }
}

impl<C> Journeys for PathCount<C> {
    type Channel = C;
    fn channels(&self) -> &[C] {
        &self.channels
    }
    fn outcomes(&self) -> (u64, u64, f64) {
        (self.conversions, self.non_conversions, self.value)
    }
}

/// The models' input types are this crate's to choose: a new one would have to be
/// counted the same way.
mod sealed {
    pub trait Sealed {}
    impl<C> Sealed for super::Path<C> {}
    impl<C> Sealed for super::PathCount<C> {}
}

/// What a data-driven model credits one channel with, summed over all paths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ChannelCredit {
    pub conversions: f64,
    pub value: f64,
}

/// The distinct channels of a set of paths, numbered densely in their order, so the
/// models work on small integer indices.
pub(crate) struct Alphabet<'a, C> {
    channels: Vec<&'a C>,
}

impl<'a, C: Ord> Alphabet<'a, C> {
    pub(crate) fn of<J: Journeys<Channel = C>>(paths: &'a [J]) -> Self {
        // Inserting into a small sorted vector, rather than collecting into a set (which
        // sorts every occurrence), keeps this one cheap pass over the paths.
        let mut channels: Vec<&C> = Vec::new();
        for channel in paths.iter().flat_map(|p| p.channels()) {
            if let Err(at) = channels.binary_search(&channel) {
                channels.insert(at, channel);
            }
        }
        Alphabet { channels }
    }

    /// The alphabet of paths whose channels are indices into `table`, and the
    /// alphabet's index of each entry of the table (of those the paths use).
    pub(crate) fn coded(table: &'a [C], paths: &[PathCount<u32>]) -> (Self, Vec<u32>) {
        let mut used = vec![false; table.len()];
        for &c in paths.iter().flat_map(|p| &p.channels) {
            used[c as usize] = true;
        }
        let mut channels: Vec<&C> = (0..table.len())
            .filter(|&c| used[c])
            .map(|c| &table[c])
            .collect();
        channels.sort_unstable();
        channels.dedup();
        let alphabet = Alphabet { channels };
        let index = (0..table.len())
            .map(|c| match used[c] {
                true => alphabet.index(&table[c]) as u32,
                false => u32::MAX,
            })
            .collect();
        (alphabet, index)
    }

    pub(crate) fn len(&self) -> usize {
        self.channels.len()
    }

    /// Index of a channel of the paths the alphabet was built from.
    pub(crate) fn index(&self, channel: &C) -> usize {
        self.channels
            .binary_search(&channel)
            .expect("the alphabet holds every channel of its paths")
    }

    /// Pairs every channel with its entry of `per_index`.
    pub(crate) fn label<T>(&self, per_index: Vec<T>) -> impl Iterator<Item = (C, T)> + '_
    where
        C: Clone,
        T: 'a,
    {
        self.channels.iter().map(|&c| c.clone()).zip(per_index)
    }
}
