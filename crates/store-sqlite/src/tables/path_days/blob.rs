//! The bytes of one day of path totals: per path, its id in `paths` (`u32`),
//! then its conversions and non-conversions (`i64`), value and days (`f64`),
//! little-endian, in id order. Ids rather than labels make summing days a
//! matter of adding into an array at each id.

use std::collections::BTreeMap;

/// A path's counts.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Counts {
    pub(crate) conversions: i64,
    pub(crate) non_conversions: i64,
    pub(crate) value: f64,
    pub(crate) days: f64,
}

impl Counts {
    pub(crate) fn add(&mut self, other: Counts) {
        self.conversions += other.conversions;
        self.non_conversions += other.non_conversions;
        self.value += other.value;
        self.days += other.days;
    }

    pub(crate) fn counts_a_journey(&self) -> bool {
        self.conversions != 0 || self.non_conversions != 0
    }
}

#[cfg(test)]
impl Counts {
    /// Counts that differ with `n`, for tests of packing.
    pub(crate) fn sample(n: i64) -> Counts {
        Counts {
            conversions: n,
            non_conversions: 2 * n,
            value: 10.5 * n as f64,
            days: 0.25,
        }
    }
}

/// A day's totals by path id: what a write changes.
pub(crate) type Day = BTreeMap<u32, Counts>;

/// Why a day's bytes do not read back.
pub(crate) type Unreadable = String;

/// Bytes per path.
const ENTRY: usize = 4 + 4 * 8;

pub(crate) fn pack(day: &Day) -> Vec<u8> {
    let mut blob = Vec::with_capacity(day.len() * ENTRY);
    for (id, c) in day {
        blob.extend_from_slice(&id.to_le_bytes());
        blob.extend_from_slice(&c.conversions.to_le_bytes());
        blob.extend_from_slice(&c.non_conversions.to_le_bytes());
        blob.extend_from_slice(&c.value.to_le_bytes());
        blob.extend_from_slice(&c.days.to_le_bytes());
    }
    blob
}

/// Calls `entry` with every path id of a day's bytes and its counts.
pub(crate) fn read(blob: &[u8], mut entry: impl FnMut(u32, Counts)) -> Result<(), Unreadable> {
    if !blob.len().is_multiple_of(ENTRY) {
        return Err(format!("{} bytes, not a whole number of paths", blob.len()));
    }
    for bytes in blob.chunks_exact(ENTRY) {
        let at = |i: usize| -> [u8; 8] { bytes[i..i + 8].try_into().expect("8 bytes") };
        let id = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        entry(
            id,
            Counts {
                conversions: i64::from_le_bytes(at(4)),
                non_conversions: i64::from_le_bytes(at(12)),
                value: f64::from_le_bytes(at(20)),
                days: f64::from_le_bytes(at(28)),
            },
        );
    }
    Ok(())
}

/// A day's bytes, by path id.
pub(crate) fn unpacked(blob: &[u8]) -> Result<Day, Unreadable> {
    let mut day = Day::new();
    read(blob, |id, counts| {
        day.insert(id, counts);
    })?;
    Ok(day)
}

#[cfg(test)]
mod tests {
    use super::{Counts, Day, pack, unpacked};

    #[test]
    fn a_packed_day_reads_back_and_a_cut_one_is_an_error() {
        let counts = Counts::sample;
        let day: Day = [(1, counts(1)), (7, counts(3)), (u32::MAX, counts(0))]
            .into_iter()
            .collect();
        let blob = pack(&day);
        assert_eq!(unpacked(&blob).unwrap(), day);
        for cut in [1, 5, blob.len() - 1] {
            assert!(unpacked(&blob[..cut]).is_err(), "cut at {cut}");
        }
    }
}
