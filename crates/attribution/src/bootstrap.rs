//! Intervals of the data-driven shares: a seeded Poisson bootstrap over paths.
//!
//! Each resample draws every path (one journey's converting path, or its
//! non-converting tail) Poisson(1) times, independently, instead of drawing exactly
//! as many paths as there are with replacement: for large data the two agree, and the
//! Poisson form lets a sequence seen `n` times be drawn as one Poisson(`n`) count, so a
//! resample costs one draw per distinct sequence. The model is fitted on each
//! resample; a channel's interval is the 2.5th to 97.5th percentile of its share of
//! the credited conversions over the resamples. The same data, seed and number of
//! resamples give the same intervals.

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

/// Per model, each channel's interval, or `None` when no resample credits any
/// conversion. All models are fitted on the same resamples.
pub(crate) fn intervals(
    fits: &[Box<dyn Fit>],
    tally: &Tally,
    bootstrap: &Bootstrap,
) -> Vec<Option<Vec<ShareInterval>>> {
    let poisson = Poisson::new();
    let mut rng = Rng::new(bootstrap.seed);
    let mut shares: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); tally.channels]; fits.len()];
    let mut counts = vec![Count::default(); tally.counts.len()];
    for _ in 0..bootstrap.resamples {
        for (drawn, seen) in counts.iter_mut().zip(&tally.counts) {
            drawn.conversions = poisson.draw(seen.conversions, &mut rng);
            drawn.nulls = poisson.draw(seen.nulls, &mut rng);
            drawn.value = if seen.conversions > 0 {
                seen.value * drawn.conversions as f64 / seen.conversions as f64
            } else {
                0.0
            };
        }
        for (fit, shares) in fits.iter().zip(&mut shares) {
            let credit = fit.credit(&counts);
            let total: f64 = credit.iter().map(|c| c.conversions).sum();
            if total <= 0.0 {
                continue;
            }
            for (c, credit) in credit.iter().enumerate() {
                shares[c].push(credit.conversions / total);
            }
        }
    }
    shares
        .into_iter()
        .map(|per_channel| {
            if per_channel.first().is_some_and(Vec::is_empty) {
                return None;
            }
            Some(
                per_channel
                    .into_iter()
                    .map(|mut s| {
                        s.sort_unstable_by(f64::total_cmp);
                        ShareInterval {
                            low: percentile(&s, 0.025),
                            high: percentile(&s, 0.975),
                        }
                    })
                    .collect(),
            )
        })
        .collect()
}

/// The `q` quantile of sorted `values`, interpolating between neighbours.
fn percentile(values: &[f64], q: f64) -> f64 {
    let at = q * (values.len() - 1) as f64;
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    values[below] + (values[above] - values[below]) * (at - below as f64)
}
