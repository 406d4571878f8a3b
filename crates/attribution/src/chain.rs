//! The absorbing chain of the Markov model: transition counts between states, and
//! the probability (and expected value) of absorbing in `conversion` from the start,
//! with or without the states of one channel.

use crate::solve::solve;

/// Up to this many states the system is solved by elimination, exactly up to rounding;
/// above, elimination's cubic cost is out of reach and Gauss-Seidel sweeps the sparse
/// transitions until no unknown moves by more than [`TOLERANCE`] of itself.
const DENSE_MAX: usize = 120;
const TOLERANCE: f64 = 1e-14;
const MAX_SWEEPS: usize = 1_000_000;

/// Transition counts between `states` states; `edges` are sorted by origin.
pub(crate) struct Chain {
    pub(crate) states: usize,
    pub(crate) start: Vec<u64>,
    /// `(from, to)` of each edge; counts in `next`.
    pub(crate) edges: Vec<(u32, u32)>,
    pub(crate) next: Vec<u64>,
    pub(crate) conversions: Vec<u64>,
    /// Summed value of the conversions reached from each state.
    pub(crate) value: Vec<f64>,
    pub(crate) nulls: Vec<u64>,
}

/// Expected absorption per unit entering at start, by conversion count and by value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Absorbed {
    pub(crate) conversions: f64,
    pub(crate) value: f64,
}

impl Chain {
    /// Per state, the conversions and value absorbed from it (`x[2s]`, `x[2s + 1]`)
    /// when the states for which `removed` is true send every visit to null. Sweeps
    /// start from `warm` when given (the solution without removal, a few states away
    /// from this one), else from 0: the same fixed point either way.
    pub(crate) fn solution(
        &self,
        removed: &dyn Fn(usize) -> bool,
        warm: Option<&[f64]>,
    ) -> Vec<f64> {
        let mut out: Vec<u64> = (0..self.states)
            .map(|s| self.conversions[s] + self.nulls[s])
            .collect();
        for (&(from, _), &n) in self.edges.iter().zip(&self.next) {
            out[from as usize] += n;
        }
        if self.states <= DENSE_MAX {
            self.eliminate(&out, removed)
        } else {
            self.sweep(&out, removed, warm)
        }
    }

    /// Absorption per unit entering at start, given [`Chain::solution`].
    pub(crate) fn absorbed(&self, x: &[f64]) -> Absorbed {
        let starts: u64 = self.start.iter().sum();
        let mut absorbed = Absorbed::default();
        if starts == 0 {
            return absorbed;
        }
        for (s, &n) in self.start.iter().enumerate() {
            let p = n as f64 / starts as f64;
            absorbed.conversions += p * x[s * 2];
            absorbed.value += p * x[s * 2 + 1];
        }
        absorbed
    }

    /// Rewards of state `s` per unit leaving it: conversions, value.
    fn reward(&self, s: usize, out: u64) -> (f64, f64) {
        if out == 0 {
            return (0.0, 0.0);
        }
        (
            self.conversions[s] as f64 / out as f64,
            self.value[s] / out as f64,
        )
    }

    /// Solves `(I - Q) x = r` for both rewards. A state never left (in a resample that
    /// drew none of its paths) is unreachable and keeps `x = 0`; every other one lies
    /// on a path that ends absorbed, so `I - Q` is non-singular.
    fn eliminate(&self, out: &[u64], removed: &dyn Fn(usize) -> bool) -> Vec<f64> {
        let n = self.states;
        let mut a = vec![0.0; n * n];
        let mut r = vec![0.0; n * 2];
        for s in 0..n {
            a[s * n + s] = 1.0;
            if !removed(s) {
                (r[s * 2], r[s * 2 + 1]) = self.reward(s, out[s]);
            }
        }
        for (&(from, to), &count) in self.edges.iter().zip(&self.next) {
            let (from, to) = (from as usize, to as usize);
            if !removed(from) && out[from] > 0 {
                a[from * n + to] -= count as f64 / out[from] as f64;
            }
        }
        solve(a, r, n, 2)
    }

    fn sweep(
        &self,
        out: &[u64],
        removed: &dyn Fn(usize) -> bool,
        warm: Option<&[f64]>,
    ) -> Vec<f64> {
        let n = self.states;
        let mut x = warm.map_or_else(|| vec![0.0; n * 2], <[f64]>::to_vec);
        for s in (0..n).filter(|&s| removed(s) || out[s] == 0) {
            x[s * 2] = 0.0;
            x[s * 2 + 1] = 0.0;
        }
        // Edges are sorted by origin: `first[s]..first[s + 1]` are those of state `s`.
        let mut first = vec![0usize; n + 1];
        for &(from, _) in &self.edges {
            first[from as usize + 1] += 1;
        }
        for s in 0..n {
            first[s + 1] += first[s];
        }
        let live: Vec<usize> = (0..n).filter(|&s| !removed(s) && out[s] > 0).collect();
        for _ in 0..MAX_SWEEPS {
            let mut moved = false;
            for &s in &live {
                let (mut conv, mut value) = self.reward(s, out[s]);
                let scale = 1.0 / out[s] as f64;
                for e in first[s]..first[s + 1] {
                    let p = self.next[e] as f64 * scale;
                    let to = self.edges[e].1 as usize;
                    conv += p * x[to * 2];
                    value += p * x[to * 2 + 1];
                }
                moved |= (conv - x[s * 2]).abs() > TOLERANCE * conv.abs()
                    || (value - x[s * 2 + 1]).abs() > TOLERANCE * value.abs();
                x[s * 2] = conv;
                x[s * 2 + 1] = value;
            }
            if !moved {
                break;
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::{Chain, DENSE_MAX};
    use crate::rng::Rng;

    /// A chain too big for elimination, made of random paths, solved both ways.
    #[test]
    fn sweeps_agree_with_elimination() {
        let n = DENSE_MAX * 2;
        let mut rng = Rng::new(3);
        let mut chain = Chain {
            states: n,
            start: vec![0; n],
            edges: Vec::new(),
            next: Vec::new(),
            conversions: vec![0; n],
            value: vec![0.0; n],
            nulls: vec![0; n],
        };
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..5_000 {
            let mut s = rng.below(n as u64) as usize;
            chain.start[s] += 1;
            while rng.unit() < 0.7 {
                let t = rng.below(n as u64) as usize;
                if t != s {
                    *counts.entry((s as u32, t as u32)).or_insert(0u64) += 1;
                    s = t;
                }
            }
            if rng.unit() < 0.3 {
                chain.conversions[s] += 1;
                chain.value[s] += 10.0 + rng.below(100) as f64;
            } else {
                chain.nulls[s] += 1;
            }
        }
        (chain.edges, chain.next) = counts.into_iter().unzip();
        let mut out: Vec<u64> = (0..n)
            .map(|s| chain.conversions[s] + chain.nulls[s])
            .collect();
        for (&(from, _), &c) in chain.edges.iter().zip(&chain.next) {
            out[from as usize] += c;
        }
        for removed in [None, Some(0u32), Some(7)] {
            let removed = |s: usize| Some(s as u32 % 10) == removed;
            let dense = chain.eliminate(&out, &removed);
            let sparse = chain.sweep(&out, &removed, None);
            let warm = chain.sweep(&out, &removed, Some(&chain.sweep(&out, &|_| false, None)));
            for ((d, s), w) in dense.iter().zip(&sparse).zip(&warm) {
                assert!((d - s).abs() < 1e-11 * (1.0 + d.abs()), "{d} vs {s}");
                assert!((d - w).abs() < 1e-11 * (1.0 + d.abs()), "{d} vs {w}");
            }
        }
    }
}
