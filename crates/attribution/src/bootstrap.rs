//! Intervals of the data-driven shares: a seeded Poisson bootstrap over paths.
//!
//! Each resample draws every path (one journey's converting path, or its
//! non-converting tail) Poisson(1) times, independently, instead of drawing exactly
//! as many paths as there are with replacement: for large data the two agree, and the
//! Poisson form lets a sequence seen `n` times be drawn as one Poisson(`n`) count, so a
//! resample costs one draw per class of sequences the model tells apart
//! ([`crate::tally::Tally::merged`]). On large data a model may draw what it reads
//! of a resample at once from its normal approximation instead (Markov, its chain's
//! counts: [`crate::normal`]). The model is fitted on each resample; a channel's
//! interval is the 2.5th to 97.5th percentile of its share of the credited
//! conversions over the resamples. The same data, seed and number of resamples give
//! the same intervals, on any number of cores.

use crate::data_driven::{Fit, ShareInterval};
use crate::path::ChannelCredit;
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

/// Each channel's interval, or `None` when no resample credits any conversion:
/// from the model's normal approximation where it has one for `tally`, else from
/// Poisson draws of every sequence's counts ([`exact_intervals`]).
pub(crate) fn intervals(
    fit: &dyn Fit,
    tally: &Tally,
    bootstrap: &Bootstrap,
) -> Option<Vec<ShareInterval>> {
    match fit.normal(tally) {
        Some(resample) => spread(bootstrap, tally.channels, |rng| resample(rng)),
        None => exact_intervals(fit, tally, bootstrap),
    }
}

/// The intervals from Poisson draws of every sequence's counts.
pub(crate) fn exact_intervals(
    fit: &dyn Fit,
    tally: &Tally,
    bootstrap: &Bootstrap,
) -> Option<Vec<ShareInterval>> {
    let poisson = Poisson::new();
    spread(bootstrap, tally.channels, |rng| {
        fit.credit(&drawn(tally, &poisson, rng))
    })
}

/// Runs the resamples, `credit` giving each one's credit from its own random
/// stream, and takes each channel's percentiles of its share.
///
/// Resamples are spread over the machine's cores. Each draws from its own stream,
/// seeded from the seed and its number, so the intervals do not depend on how many
/// cores there are.
fn spread(
    bootstrap: &Bootstrap,
    channels: usize,
    credit: impl Fn(&mut Rng) -> Vec<ChannelCredit> + Sync,
) -> Option<Vec<ShareInterval>> {
    let numbers: Vec<u32> = (0..bootstrap.resamples).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = numbers.len().div_ceil(threads).max(1);
    let credit = &credit;
    let resamples: Vec<Vec<f64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = numbers
            .chunks(per_thread)
            .map(|numbers| {
                scope.spawn(move || {
                    numbers
                        .iter()
                        .filter_map(|&n| shares(&credit(&mut bootstrap.stream(n))))
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
        (0..channels)
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

/// A resample's counts: every sequence's drawn Poisson(seen) times.
fn drawn(tally: &Tally, poisson: &Poisson, rng: &mut Rng) -> Vec<Count> {
    tally
        .counts
        .iter()
        .map(|seen| {
            let conversions = poisson.draw(seen.conversions, rng);
            Count {
                conversions,
                nulls: poisson.draw(seen.nulls, rng),
                value: if seen.conversions > 0 {
                    seen.value * conversions as f64 / seen.conversions as f64
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// Each channel's share of the conversions a resample credits, or `None` when it
/// credits none.
fn shares(credit: &[ChannelCredit]) -> Option<Vec<f64>> {
    let total: f64 = credit.iter().map(|c| c.conversions).sum();
    (total > 0.0).then(|| credit.iter().map(|c| c.conversions / total).collect())
}

/// The `q` quantile of sorted `values`, interpolating between neighbours.
fn percentile(values: &[f64], q: f64) -> f64 {
    let at = q * (values.len() - 1) as f64;
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    values[below] + (values[above] - values[below]) * (at - below as f64)
}

#[cfg(test)]
mod tests {
    use super::{Bootstrap, exact_intervals, intervals};
    use crate::data_driven::Fit;
    use crate::markov::{Markov, MarkovOrder, MarkovValue};
    use crate::path::{Alphabet, Path};
    use crate::rng::Rng;
    use crate::tally::Tally;

    /// Journeys over 6 channels, 1 to 6 touches, converting more often with
    /// channels 0 and 1.
    fn paths(n: usize, seed: u64) -> Vec<Path<u8>> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let len = 1 + rng.below(6) as usize;
                let channels: Vec<u8> = (0..len).map(|_| rng.skewed(6) as u8).collect();
                let odds = 0.05 + 0.1 * channels.iter().filter(|&&c| c < 2).count() as f64;
                let converted = rng.unit() < odds;
                let value = if converted { 100.0 } else { 0.0 };
                Path {
                    channels,
                    converted,
                    value,
                }
            })
            .collect()
    }

    #[test]
    fn markov_intervals_from_the_normal_approximation_agree_with_exact_draws() {
        let paths = paths(60_000, 3);
        let alphabet = Alphabet::of(&paths);
        let tally = Tally::of(&paths, &alphabet);
        let tally = tally.merged(|s| Markov::class(s, MarkovOrder::FIRST));
        let fit = Markov::new(&tally, MarkovOrder::FIRST, MarkovValue::RemovalEffect);
        assert!(
            fit.normal(&tally).is_some(),
            "large enough for the approximation"
        );
        let bootstrap = Bootstrap::default();
        let normal = intervals(&fit, &tally, &bootstrap).unwrap();
        let exact = exact_intervals(&fit, &tally, &bootstrap).unwrap();
        let shares: Vec<f64> = {
            let credit = fit.credit(&tally.counts);
            let total: f64 = credit.iter().map(|c| c.conversions).sum();
            credit.iter().map(|c| c.conversions / total).collect()
        };
        for ((n, x), share) in normal.iter().zip(&exact).zip(shares) {
            let width = x.high - x.low;
            assert!(
                width > 0.0 && n.low < share && share < n.high,
                "{n:?} {x:?} {share}"
            );
            // Two runs of 200 resamples place a percentile to within about a
            // fifth of the interval's width.
            for (a, b) in [(n.low, x.low), (n.high, x.high)] {
                assert!((a - b).abs() < 0.25 * width, "{n:?} vs {x:?}");
            }
            let ratio = (n.high - n.low) / width;
            assert!((0.8..1.25).contains(&ratio), "widths {n:?} vs {x:?}");
        }
    }
}
