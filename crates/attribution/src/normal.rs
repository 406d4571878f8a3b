//! Draws of a sum of independently Poisson-weighted vectors from its normal
//! approximation: what a bootstrap resample of a large data set adds up to, drawn
//! in the vectors' dimension rather than one Poisson draw per weighted vector.
//!
//! A sum `X = Σ W_i v_i` with `W_i ~ Poisson(m_i)` independent has mean `Σ m_i v_i`
//! and covariance `Σ m_i v_i v_iᵀ`; with many terms it is close to the normal of
//! that mean and covariance. A draw is `mean + L z`, `L` the covariance's Cholesky
//! factor and `z` standard normal. Linear relations every `v_i` satisfies (flow
//! conservation in a chain's counts) make the covariance singular; the factor skips
//! those directions, so every draw keeps them exactly.

use crate::rng::Rng;

/// The mean and the covariance's lower Cholesky factor (row-major).
pub(crate) struct Normal {
    mean: Vec<f64>,
    factor: Vec<f64>,
}

impl Normal {
    /// `terms`: each weight's mean and its vector, sparse (index, entry).
    pub(crate) fn of<'a>(
        dimension: usize,
        terms: impl IntoIterator<Item = (f64, &'a [(usize, f64)])>,
    ) -> Normal {
        let mut mean = vec![0.0; dimension];
        let mut covariance = vec![0.0; dimension * dimension];
        for (m, v) in terms {
            for &(j, a) in v {
                mean[j] += m * a;
                for &(k, b) in v.iter().filter(|&&(k, _)| k <= j) {
                    covariance[j * dimension + k] += m * a * b;
                }
            }
        }
        Normal {
            mean,
            factor: cholesky(covariance, dimension),
        }
    }

    /// One draw into `out`.
    pub(crate) fn draw(&self, rng: &mut Rng, out: &mut Vec<f64>) {
        let n = self.mean.len();
        let z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        out.clear();
        out.extend((0..n).map(|j| {
            let row = &self.factor[j * n..j * n + j + 1];
            self.mean[j] + row.iter().zip(&z).map(|(l, z)| l * z).sum::<f64>()
        }));
    }
}

/// The lower factor `L` of a symmetric positive semi-definite matrix given by its
/// lower triangle, `L Lᵀ` equal to it; a pivot that rounding leaves at (about)
/// zero gets a zero column.
fn cholesky(mut a: Vec<f64>, n: usize) -> Vec<f64> {
    let largest = (0..n).map(|j| a[j * n + j]).fold(0.0, f64::max);
    let tiny = largest * 1e-12;
    for j in 0..n {
        let pivot = a[j * n + j] - (0..j).map(|k| a[j * n + k].powi(2)).sum::<f64>();
        if pivot <= tiny {
            for i in j..n {
                a[i * n + j] = 0.0;
            }
            continue;
        }
        let root = pivot.sqrt();
        a[j * n + j] = root;
        for i in j + 1..n {
            let dot: f64 = (0..j).map(|k| a[i * n + k] * a[j * n + k]).sum();
            a[i * n + j] = (a[i * n + j] - dot) / root;
        }
    }
    for j in 0..n {
        for k in j + 1..n {
            a[j * n + k] = 0.0;
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::Normal;
    use crate::rng::Rng;

    #[test]
    fn draws_have_the_mean_and_covariance_of_the_weighted_sum_and_keep_its_relations() {
        // Two vectors whose entries sum to 0 in the first two coordinates: every
        // draw must keep x0 + x1 = 0.
        let (a, b) = (
            [(0, 1.0), (1, -1.0), (2, 2.0)],
            [(0, -2.0), (1, 2.0), (2, 1.0)],
        );
        let normal = Normal::of(3, [(50.0, &a[..]), (30.0, &b[..])]);
        let mut rng = Rng::new(9);
        let (n, mut draw) = (40_000, Vec::new());
        let (mut sum, mut square) = ([0.0; 3], [0.0; 3]);
        for _ in 0..n {
            normal.draw(&mut rng, &mut draw);
            assert!((draw[0] + draw[1]).abs() < 1e-6, "{draw:?}");
            for j in 0..3 {
                sum[j] += draw[j];
                square[j] += draw[j] * draw[j];
            }
        }
        let want_mean = [50.0 - 60.0, -50.0 + 60.0, 100.0 + 30.0];
        let want_variance = [50.0 + 120.0, 50.0 + 120.0, 200.0 + 30.0];
        for j in 0..3 {
            let mean = sum[j] / n as f64;
            let variance = square[j] / n as f64 - mean * mean;
            assert!((mean - want_mean[j]).abs() < 0.5, "mean {j}: {mean}");
            assert!(
                (variance / want_variance[j] - 1.0).abs() < 0.05,
                "variance {j}: {variance}"
            );
        }
    }
}
