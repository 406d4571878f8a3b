//! One conversion's credit under one rule-based model.

use std::ops::Range;

use sma_sources::Channel;

use crate::anchored;
use crate::conversion::{Conversion, Milestones};
use crate::model::{Credit, Model, ModelConfig};
use crate::touch::Touch;

/// How a positional model splits credit: the first and last touch get fixed shares,
/// the middle touches split the rest evenly; two touches get `pair`.
pub(crate) struct Shape {
    first: f64,
    middle: f64,
    last: f64,
    pair: [f64; 2],
}

pub(crate) const U_SHAPE: Shape = Shape {
    first: 0.4,
    middle: 0.2,
    last: 0.4,
    pair: [0.5, 0.5],
};
const J_SHAPE: Shape = Shape {
    first: 0.2,
    middle: 0.2,
    last: 0.6,
    pair: [0.25, 0.75],
};
const INVERSE_J_SHAPE: Shape = Shape {
    first: 0.6,
    middle: 0.2,
    last: 0.2,
    pair: [0.75, 0.25],
};

/// The credit `model` gives each touch of `window` (the conversion's touches, see
/// [`crate::lookback_window`]) for `conversion`. Touches are the user's, in time order;
/// each credited touch appears once, by ascending index, with a positive credit. An
/// empty window gets no credit.
pub fn credit(
    model: Model,
    touches: &[Touch],
    window: Range<usize>,
    conversion: &Conversion,
    milestones: &Milestones,
    cfg: &ModelConfig,
) -> Vec<Credit> {
    if window.is_empty() {
        return Vec::new();
    }
    let in_window = &touches[window.clone()];
    let last = window.end - 1;
    let weights = match model {
        Model::First => return single(window.start),
        Model::Last => return single(last),
        Model::LastNonDirect => {
            return single(last_non_direct_in(touches, window).unwrap_or(last));
        }
        Model::Participation => return participation(touches, window),
        Model::Linear => vec![1.0; in_window.len()],
        Model::TimeDecay => time_decay(in_window, conversion.timestamp, cfg.half_life_ms),
        Model::Position => positional(in_window.len(), &U_SHAPE),
        Model::JShaped => positional(in_window.len(), &J_SHAPE),
        Model::InverseJ => positional(in_window.len(), &INVERSE_J_SHAPE),
        Model::WShaped => anchored::w_shaped(in_window, conversion.timestamp, milestones)
            .unwrap_or_else(|| positional(in_window.len(), &U_SHAPE)),
        Model::FullPath => anchored::full_path(in_window, conversion.timestamp, milestones)
            .or_else(|| anchored::w_shaped(in_window, conversion.timestamp, milestones))
            .unwrap_or_else(|| positional(in_window.len(), &U_SHAPE)),
    };
    normalised(window.start, &weights)
}

/// The last touch of `range` that is not Direct.
pub(crate) fn last_non_direct_in(touches: &[Touch], range: Range<usize>) -> Option<usize> {
    let start = range.start;
    touches[range]
        .iter()
        .rposition(|t| !t.source.is_direct())
        .map(|i| start + i)
}

fn single(touch: usize) -> Vec<Credit> {
    vec![Credit { touch, credit: 1.0 }]
}

/// Credits proportional to `weights`, the first weight belonging to touch `start`.
fn normalised(start: usize, weights: &[f64]) -> Vec<Credit> {
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0.0)
        .map(|(i, w)| Credit {
            touch: start + i,
            credit: w / total,
        })
        .collect()
}

pub(crate) fn positional(n: usize, shape: &Shape) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![1.0],
        2 => shape.pair.to_vec(),
        _ => {
            let mut w = vec![shape.middle / (n - 2) as f64; n];
            w[0] = shape.first;
            w[n - 1] = shape.last;
            w
        }
    }
}

/// `2^(-age / half_life)`, relative to the youngest touch so that no lookback, however
/// long, underflows every weight to zero. A non-positive half-life is the limit: all
/// weight on the youngest touches.
fn time_decay(touches: &[Touch], at: i64, half_life_ms: i64) -> Vec<f64> {
    let youngest = touches.iter().map(|t| at - t.timestamp).min().unwrap_or(0);
    touches
        .iter()
        .map(|t| {
            let excess = (at - t.timestamp - youngest) as f64;
            match half_life_ms {
                h if h > 0 => (-excess / h as f64).exp2(),
                _ if excess == 0.0 => 1.0,
                _ => 0.0,
            }
        })
        .collect()
}

/// 1 to the first touch of every distinct channel.
fn participation(touches: &[Touch], window: Range<usize>) -> Vec<Credit> {
    let mut seen: Vec<Channel> = Vec::new();
    window
        .filter(|&i| {
            let channel = touches[i].channel();
            let first = !seen.contains(&channel);
            if first {
                seen.push(channel);
            }
            first
        })
        .map(|touch| Credit { touch, credit: 1.0 })
        .collect()
}
