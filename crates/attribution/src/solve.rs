//! A small dense linear solver: the absorbing-chain systems have one unknown per
//! channel (a few dozen at most), where elimination is exact up to rounding and cheap.

/// Solves `a x = b` by Gaussian elimination with partial pivoting. `a` is `n x n`,
/// `b` is `n x rhs`, both row-major; returns `x` as `n x rhs` row-major.
///
/// The caller guarantees `a` is non-singular.
pub(crate) fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize, rhs: usize) -> Vec<f64> {
    debug_assert_eq!(a.len(), n * n);
    debug_assert_eq!(b.len(), n * rhs);
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap_or(col);
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
            }
            for k in 0..rhs {
                b.swap(pivot * rhs + k, col * rhs + k);
            }
        }
        let diag = a[col * n + col];
        for row in col + 1..n {
            let factor = a[row * n + col] / diag;
            if factor == 0.0 {
                continue;
            }
            for k in col..n {
                a[row * n + k] -= factor * a[col * n + k];
            }
            for k in 0..rhs {
                b[row * rhs + k] -= factor * b[col * rhs + k];
            }
        }
    }
    for col in (0..n).rev() {
        let diag = a[col * n + col];
        for k in 0..rhs {
            let known: f64 = (col + 1..n).map(|j| a[col * n + j] * b[j * rhs + k]).sum();
            b[col * rhs + k] = (b[col * rhs + k] - known) / diag;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::solve;

    #[test]
    fn solves_a_system_that_needs_pivoting() {
        // 0x + 2y = 4, 3x + 1y = 5  ->  x = 1, y = 2 (the zero pivot forces a swap).
        let x = solve(vec![0.0, 2.0, 3.0, 1.0], vec![4.0, 8.0, 5.0, 10.0], 2, 2);
        let expected = [1.0, 2.0, 2.0, 4.0];
        for (got, want) in x.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
    }
}
