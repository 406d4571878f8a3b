//! The data-driven models by name, and their estimates with bootstrap intervals.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hash;

use serde::Serialize;

use crate::bootstrap::{Bootstrap, intervals};
use crate::markov::{Markov, MarkovOrder, MarkovValue};
use crate::path::{Alphabet, ChannelCredit, Journeys, PathCount};
use crate::rng::Rng;
use crate::shapley::{self, Shapley};
use crate::shapley_simple::{ShapleySimple, distinct};
use crate::tally::{Count, Tally};

/// A data-driven model prepared on a tally's sequences: credit per channel index for
/// any counts of those sequences (the data's, or a resample's).
pub(crate) trait Fit: Sync {
    fn credit(&self, counts: &[Count]) -> Vec<ChannelCredit>;

    /// The credit of a resample drawn from the normal approximation of the
    /// bootstrap, where the model has one and `tally` is large enough for it;
    /// `None` draws every sequence's count instead.
    fn normal<'a>(&'a self, _tally: &Tally) -> Option<NormalResample<'a>> {
        None
    }
}

/// One resample's credit, drawn with the random stream given.
pub(crate) type NormalResample<'a> = Box<dyn Fn(&mut Rng) -> Vec<ChannelCredit> + Sync + 'a>;

/// A model fitted on all paths, converting and not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataDriven {
    /// [`crate::markov`]: removal effect on a Markov chain.
    Markov,
    /// [`crate::shapley`]: Shapley values on conversion probabilities.
    Shapley,
    /// [`crate::shapley_simple`]: each converting path split equally over its channels.
    ShapleySimple,
}

impl DataDriven {
    pub const ALL: [DataDriven; 3] = [
        DataDriven::Markov,
        DataDriven::Shapley,
        DataDriven::ShapleySimple,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataDriven::Markov => "markov",
            DataDriven::Shapley => "shapley",
            DataDriven::ShapleySimple => "shapley_simple",
        }
    }
}

impl fmt::Display for DataDriven {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of the data-driven models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataDrivenConfig {
    /// Order of [`DataDriven::Markov`].
    pub order: MarkovOrder,
    /// What [`DataDriven::Markov`]'s value is.
    pub markov_value: MarkovValue,
    pub bootstrap: Bootstrap,
}

/// What a data-driven model says about one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub credit: ChannelCredit,
    /// 95% interval of the channel's share of conversions; `None` without resamples.
    pub interval: Option<ShareInterval>,
}

/// A 95% bootstrap interval of a share of conversions (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ShareInterval {
    pub low: f64,
    pub high: f64,
}

/// An interval wider than this (10 points of share) marks its channel `low_data`: the
/// data cannot tell its share to within ±5 points.
pub const LOW_DATA_WIDTH: f64 = 0.1;

impl ShareInterval {
    pub fn low_data(&self) -> bool {
        self.high - self.low > LOW_DATA_WIDTH
    }
}

/// Credit per channel under `model`, with the 95% interval of each channel's share
/// from `cfg.bootstrap`.
pub fn estimate<C: Ord + Clone + Hash, J: Journeys<Channel = C>>(
    paths: &[J],
    model: DataDriven,
    cfg: &DataDrivenConfig,
) -> BTreeMap<C, Estimate> {
    estimate_all(paths, &[model], cfg)
        .pop()
        .expect("one model, one estimate")
}

/// [`estimate`] for several models at once, in the order given: the paths are
/// tallied once.
pub fn estimate_all<C: Ord + Clone + Hash, J: Journeys<Channel = C>>(
    paths: &[J],
    models: &[DataDriven],
    cfg: &DataDrivenConfig,
) -> Vec<BTreeMap<C, Estimate>> {
    let alphabet = Alphabet::of(paths);
    let tally = Tally::of(paths, &alphabet);
    models
        .iter()
        .map(|&model| estimates(&alphabet, &tally, model, cfg))
        .collect()
}

/// [`estimate`] on paths whose channels are indices into `channels`, each
/// sequence counted once (a few may map to one channel sequence): what a store
/// of path totals answers. The same estimates as [`estimate`] on the paths
/// spelled, without hashing a path. Panics on an index outside `channels`.
pub fn estimate_coded<C: Ord + Clone>(
    channels: &[C],
    paths: Vec<PathCount<u32>>,
    model: DataDriven,
    cfg: &DataDrivenConfig,
) -> BTreeMap<C, Estimate> {
    let (alphabet, index) = Alphabet::coded(channels, &paths);
    let tally = Tally::coded(paths, &index, alphabet.len());
    estimates(&alphabet, &tally, model, cfg)
}

fn estimates<C: Ord + Clone>(
    alphabet: &Alphabet<'_, C>,
    tally: &Tally,
    model: DataDriven,
    cfg: &DataDrivenConfig,
) -> BTreeMap<C, Estimate> {
    let (tally, fit) = fitted(model, tally, cfg);
    let intervals = intervals(fit.as_ref(), &tally, &cfg.bootstrap);
    let estimates = fit
        .credit(&tally.counts)
        .into_iter()
        .enumerate()
        .map(|(c, credit)| Estimate {
            credit,
            interval: intervals.as_ref().map(|i| i[c]),
        })
        .collect();
    alphabet.label(estimates).collect()
}

/// `model` fitted on `tally` with the sequences it cannot tell apart counted as
/// one: the same credit, from (and resampled over) fewer sequences. The Shapley
/// models read only a sequence's channel set, and eight channels make at most
/// 255 sets however many sequences there are.
fn fitted(model: DataDriven, tally: &Tally, cfg: &DataDrivenConfig) -> (Tally, Box<dyn Fit>) {
    match model {
        DataDriven::Markov => on_classes(
            tally,
            |s| Markov::class(s, cfg.order),
            |t| Markov::new(t, cfg.order, cfg.markov_value),
        ),
        DataDriven::Shapley => on_classes(tally, shapley::class, Shapley::new),
        DataDriven::ShapleySimple => on_classes(tally, distinct, ShapleySimple::new),
    }
}

fn on_classes<K: Hash + Eq, F: Fit + 'static>(
    tally: &Tally,
    class: impl Fn(&[u32]) -> K,
    fit: impl FnOnce(&Tally) -> F,
) -> (Tally, Box<dyn Fit>) {
    let tally = tally.merged(class);
    let fit = fit(&tally);
    (tally, Box::new(fit))
}
