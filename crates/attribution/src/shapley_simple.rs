//! The simple Shapley model: Shapley values of the path-coverage game.
//!
//! The characteristic function of a coalition `S` of channels is the conversions of the
//! paths whose channel set is a subset of `S`. That is a sum of unanimity games, one
//! per converting path, and the Shapley value of each gives `1/|P|` to each of its
//! distinct channels: every converting path is split equally over its distinct
//! channels. Non-converting paths play no part, so this is a linear model over
//! distinct channels; [`crate::shapley`] is the model that weighs them. Kept because
//! it is cheap, exact for any number of channels, and what other tools call Shapley.

use std::collections::BTreeMap;
use std::hash::Hash;

use crate::data_driven::Fit;
use crate::path::{Alphabet, ChannelCredit, Path};
use crate::tally::{Count, Tally};

/// Conversions credited to each channel by the simple Shapley model. Channels seen
/// only on non-converting paths get 0.
pub fn shapley_simple<C: Ord + Clone + Hash>(paths: &[Path<C>]) -> BTreeMap<C, f64> {
    shapley_simple_credit(paths)
        .into_iter()
        .map(|(c, credit)| (c, credit.conversions))
        .collect()
}

/// Conversions and value credited to each channel by the simple Shapley model.
pub fn shapley_simple_credit<C: Ord + Clone + Hash>(
    paths: &[Path<C>],
) -> BTreeMap<C, ChannelCredit> {
    let alphabet = Alphabet::of(paths);
    let tally = Tally::of(paths, &alphabet);
    let model = ShapleySimple::new(&tally);
    alphabet.label(model.credit(&tally.counts)).collect()
}

/// The distinct channels of each of a tally's sequences.
pub(crate) struct ShapleySimple {
    channels: usize,
    sets: Vec<Vec<u32>>,
}

impl ShapleySimple {
    pub(crate) fn new(tally: &Tally) -> ShapleySimple {
        ShapleySimple {
            channels: tally.channels,
            sets: tally.sequences.iter().map(|s| distinct(s)).collect(),
        }
    }
}

/// The distinct channels of a sequence, sorted.
pub(crate) fn distinct(sequence: &[u32]) -> Vec<u32> {
    let mut set = sequence.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

impl Fit for ShapleySimple {
    fn credit(&self, counts: &[Count]) -> Vec<ChannelCredit> {
        let mut credit = vec![ChannelCredit::default(); self.channels];
        for (set, count) in self.sets.iter().zip(counts) {
            if count.conversions == 0 {
                continue;
            }
            let each = 1.0 / set.len() as f64;
            for &c in set {
                credit[c as usize].conversions += count.conversions as f64 * each;
                credit[c as usize].value += count.value * each;
            }
        }
        credit
    }
}
