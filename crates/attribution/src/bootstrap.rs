//! Intervals of the data-driven shares: a seeded Poisson bootstrap over paths.
//!
//! Each resample draws every path (one journey's converting path, or its
//! non-converting tail) Poisson(1) times, independently, instead of drawing exactly
//! as many paths as there are with replacement: for large data the two agree, and the
//! Poisson form lets a sequence seen `n` times be drawn as one Poisson(`n`) count, so a
//! resample costs one draw per class of sequences the model tells apart
//! ([`crate::tally::Tally::merged`]). The model is fitted on each
//! resample; a channel's interval is the 2.5th to 97.5th percentile of its share of
//! the credited conversions over the resamples. The same data, seed and number of
//! resamples give the same intervals, on any number of cores.

use crate::data_driven::{Fit, ShareInterval};
use crate::rng::{Poisson, Rng};
use crate::tally::{Count, Tally};

/// How the intervals are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bootstrap {
    /// Resamples per report (`BOOTSTRAP_RESAMPLES`); 0 computes no interval.
    pub resamples: u32,
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: 200,
            seed: 0x5eed_5eed,
        }
    }
}

/// Each channel's interval, or `None` when no resample credits any conversion.
///
/// Resamples are spread over the machine's cores. Each draws from its own stream,
/// seeded from the seed and its number, so the intervals do not depend on how many
/// cores there are.
pub(crate) fn intervals(
    fit: &dyn Fit,
    tally: &Tally,
    bootstrap: &Bootstrap,
) -> Option<Vec<ShareInterval>> {
    let poisson = Poisson::new();
    let numbers: Vec<u32> = (0..bootstrap.resamples).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = numbers.len().div_ceil(threads).max(1);
    let resamples: Vec<Vec<f64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = numbers
            .chunks(per_thread)
            .map(|numbers| {
                let poisson = &poisson;
                scope.spawn(move || {
                    numbers
                        .iter()
                        .filter_map(|&n| shares(fit, tally, poisson, bootstrap.stream(n)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a resample does not panic"))
            .collect()
    });
    if resamples.is_empty() {
        return None;
    }
    Some(
        (0..tally.channels)
            .map(|c| {
                let mut s: Vec<f64> = resamples.iter().map(|shares| shares[c]).collect();
                s.sort_unstable_by(f64::total_cmp);
                ShareInterval {
                    low: percentile(&s, 0.025),
                    high: percentile(&s, 0.975),
                }
            })
            .collect(),
    )
}

impl Bootstrap {
    /// The random stream of resample `n`.
    fn stream(&self, n: u32) -> Rng {
        let start = self.seed ^ u64::from(n).wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::new(Rng::new(start).next_u64())
    }
}

/// Each channel's share of the conversions credited on one resample, or `None`
/// when it credits none.
fn shares(fit: &dyn Fit, tally: &Tally, poisson: &Poisson, mut rng: Rng) -> Option<Vec<f64>> {
    let counts: Vec<Count> = tally
        .counts
        .iter()
        .map(|seen| {
            let conversions = poisson.draw(seen.conversions, &mut rng);
            Count {
                conversions,
                nulls: poisson.draw(seen.nulls, &mut rng),
                value: if seen.conversions > 0 {
                    seen.value * conversions as f64 / seen.conversions as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    let credit = fit.credit(&counts);
    let total: f64 = credit.iter().map(|c| c.conversions).sum();
    (total > 0.0).then(|| credit.iter().map(|c| c.conversions / total).collect())
}

/// The `q` quantile of sorted `values`, interpolating between neighbours.
fn percentile(values: &[f64], q: f64) -> f64 {
    let at = q * (values.len() - 1) as f64;
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    values[below] + (values[above] - values[below]) * (at - below as f64)
}
