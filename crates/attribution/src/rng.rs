//! A seeded random number generator and the Poisson draws of the bootstrap: our own,
//! so the same seed gives the same numbers on every machine and every dependency
//! version.

/// SplitMix64: tiny, fast and good enough for resampling and test data; no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw: Box-Muller, one from two uniforms.
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (1.0 - self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Skewed towards low values in `0..n`, so some channels are much more common.
    pub fn skewed(&mut self, n: u64) -> u64 {
        self.below(n).min(self.below(n))
    }
}

/// Means up to this are drawn exactly, by inversion of a tabulated distribution.
const EXACT_MAX: u64 = 32;

/// Draws Poisson counts of whole-number means: the count of a path seen `n` times in a
/// resample where every journey is drawn Poisson(1) times is Poisson(`n`).
pub(crate) struct Poisson {
    /// `cdf[mean - 1][k]` = P(X <= k) scaled to `u64`, up to where it reaches 1:
    /// compared with a raw draw, no conversion to `f64` per draw.
    cdf: Vec<Vec<u64>>,
}

impl Poisson {
    pub(crate) fn new() -> Self {
        let cdf = (1..=EXACT_MAX)
            .map(|mean| {
                let mean = mean as f64;
                let mut p = (-mean).exp();
                let mut sum = p;
                let scaled = |p: f64| (p * 2f64.powi(64)).min(u64::MAX as f64) as u64;
                let mut table = vec![scaled(sum)];
                let mut k = 0.0;
                while sum < 1.0 - 1e-16 && table.len() < 1_000 {
                    k += 1.0;
                    p *= mean / k;
                    sum += p;
                    table.push(scaled(sum));
                }
                table
            })
            .collect();
        Poisson { cdf }
    }

    /// One draw of Poisson(`mean`). Above [`EXACT_MAX`] the normal approximation,
    /// rounded: its error is far below what 200 resamples can resolve.
    pub(crate) fn draw(&self, mean: u64, rng: &mut Rng) -> u64 {
        match mean {
            0 => 0,
            m if m <= EXACT_MAX => {
                let table = &self.cdf[(m - 1) as usize];
                let u = rng.next_u64();
                // The number of cdf entries at or below `u`. Most paths are seen
                // once or twice, where counting from the bottom stops after two
                // or three comparisons; larger means halve the table instead.
                if m <= 2 {
                    table.iter().take_while(|&&c| c <= u).count() as u64
                } else {
                    table.partition_point(|&c| c <= u) as u64
                }
            }
            m => {
                let z = rng.normal();
                let mean = m as f64;
                (mean + mean.sqrt() * z).round().max(0.0) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Poisson, Rng};

    #[test]
    fn poisson_draws_have_the_mean_and_variance_asked_for() {
        let poisson = Poisson::new();
        let mut rng = Rng::new(7);
        for mean in [1u64, 3, 32, 33, 1_000] {
            let n = 20_000;
            let draws: Vec<f64> = (0..n)
                .map(|_| poisson.draw(mean, &mut rng) as f64)
                .collect();
            let m = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - m).powi(2)).sum::<f64>() / n as f64;
            let mean = mean as f64;
            assert!((m - mean).abs() < 0.05 * mean.max(1.0), "mean {mean}: {m}");
            assert!(
                (var - mean).abs() < 0.1 * mean.max(1.0),
                "variance {mean}: {var}"
            );
        }
    }
}
