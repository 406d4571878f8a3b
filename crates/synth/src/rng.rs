//! The one generator of sma's test data: the attribution crate's SplitMix64
//! ([`Rng`], which the bootstrap draws with too), with the draws synthetic
//! histories need. Deterministic: the same seed gives the same data on every
//! machine and every version of sma (a library RNG promises neither).

pub use sma_attribution::Rng;

/// SplitMix64's finaliser: a bijection on u64, so distinct keys give distinct
/// outputs. Ids built from it are unique by construction, not by luck.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stream for one purpose, independent of every other `(seed, key)`.
pub fn stream(seed: u64, key: u64) -> Rng {
    Rng::new(mix(seed ^ mix(key)))
}

/// A UUID-formatted id, unique for each distinct `key` under one `seed`.
pub fn uuid(seed: u64, key: u64) -> String {
    let hi = mix(key ^ mix(seed));
    let lo = mix(hi ^ 0x5bd1_e995);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        ((lo >> 48) & 0x3fff) | 0x8000,
        lo & 0xffff_ffff_ffff
    )
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The draws synthetic data is made of.
pub trait Draws {
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: u64, hi: u64) -> u64;
    fn chance(&mut self, p: f64) -> bool;
    fn pick<T: Copy>(&mut self, items: &[T]) -> T;
    /// An item by weight; weights need not sum to anything in particular.
    fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T;
    /// Exponentially distributed with the given mean.
    fn exponential(&mut self, mean: f64) -> f64;
    /// `n` characters from `alphabet`.
    fn token(&mut self, n: usize, alphabet: &[u8]) -> String;
    fn hex(&mut self, n: usize) -> String;
}

impl Draws for Rng {
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() as u64) as usize]
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut point = self.unit() * total;
        for (item, weight) in items {
            if point < *weight {
                return item;
            }
            point -= weight;
        }
        &items[items.len() - 1].0
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    fn token(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| self.pick(alphabet) as char).collect()
    }

    fn hex(&mut self, n: usize) -> String {
        self.token(n, b"0123456789abcdef")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_unique_ids() {
        let mut a = stream(7, 1);
        let mut b = stream(7, 1);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        assert_eq!(first, (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        let ids: std::collections::HashSet<String> = (0..10_000).map(|k| uuid(3, k)).collect();
        assert_eq!(ids.len(), 10_000);
        assert_eq!(uuid(3, 1).len(), 36);
    }
}
