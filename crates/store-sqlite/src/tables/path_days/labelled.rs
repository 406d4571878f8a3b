//! The bytes of one day of path totals as schema 13 packed them, read once to
//! bring a store to ids ([`super::blob`]): the labels its paths use, then every
//! path's entry, in path order. Little-endian throughout:
//! - a `u16` count of labels, then per label a `u16` length and its UTF-8;
//! - per path: a `u16` length, that many `u16` indices into the labels, then
//!   its conversions and non-conversions (`i64`), value and days (`f64`).

use std::collections::BTreeMap;

use super::blob::{Counts, Unreadable};

/// A day's totals, spelled.
pub(crate) type SpelledDay = BTreeMap<Vec<String>, Counts>;

#[cfg(test)]
pub(crate) fn pack(day: &SpelledDay) -> Result<Vec<u8>, Unreadable> {
    let mut index: std::collections::HashMap<&str, u16> = Default::default();
    let mut labels: Vec<&str> = Vec::new();
    for label in day.keys().flatten() {
        if !index.contains_key(label.as_str()) {
            let i = u16::try_from(labels.len()).map_err(|_| "over 65,535 labels in a day")?;
            index.insert(label, i);
            labels.push(label);
        }
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(labels.len() as u16).to_le_bytes());
    for label in &labels {
        let len = u16::try_from(label.len()).map_err(|_| format!("label {label:?} too long"))?;
        blob.extend_from_slice(&len.to_le_bytes());
        blob.extend_from_slice(label.as_bytes());
    }
    for (path, c) in day {
        let len = u16::try_from(path.len()).map_err(|_| "a path of over 65,535 channels")?;
        blob.extend_from_slice(&len.to_le_bytes());
        for label in path {
            blob.extend_from_slice(&index[label.as_str()].to_le_bytes());
        }
        blob.extend_from_slice(&c.conversions.to_le_bytes());
        blob.extend_from_slice(&c.non_conversions.to_le_bytes());
        blob.extend_from_slice(&c.value.to_le_bytes());
        blob.extend_from_slice(&c.days.to_le_bytes());
    }
    Ok(blob)
}

/// Calls `entry` with every path of a day's bytes (as indices into its labels,
/// which `labels` reads first) and its counts.
fn read<'b, T>(
    blob: &'b [u8],
    labels: impl FnOnce(&[&'b str]) -> T,
    mut entry: impl FnMut(&T, &[u16], Counts),
) -> Result<(), Unreadable> {
    let mut bytes = Bytes(blob);
    let count = bytes.u16()?;
    let table = (0..count)
        .map(|_| {
            let len = bytes.u16()? as usize;
            std::str::from_utf8(bytes.take(len)?).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<&str>, _>>()?;
    let labels = labels(&table);
    let mut path = Vec::new();
    while !bytes.0.is_empty() {
        path.clear();
        for _ in 0..bytes.u16()? {
            let i = bytes.u16()?;
            if i >= count {
                return Err(format!("label {i} of {count}"));
            }
            path.push(i);
        }
        let counts = Counts {
            conversions: i64::from_le_bytes(bytes.array()?),
            non_conversions: i64::from_le_bytes(bytes.array()?),
            value: f64::from_le_bytes(bytes.array()?),
            days: f64::from_le_bytes(bytes.array()?),
        };
        entry(&labels, &path, counts);
    }
    Ok(())
}

/// A day's bytes, spelled.
pub(crate) fn spelled(blob: &[u8]) -> Result<SpelledDay, Unreadable> {
    let mut day = SpelledDay::new();
    read(
        blob,
        |labels| labels.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
        |table, path, counts| {
            let path = path
                .iter()
                .map(|&i| table[usize::from(i)].clone())
                .collect();
            day.insert(path, counts);
        },
    )?;
    Ok(day)
}

/// The bytes not read yet.
struct Bytes<'b>(&'b [u8]);

impl<'b> Bytes<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], Unreadable> {
        if self.0.len() < n {
            return Err("cut short".to_owned());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Unreadable> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn u16(&mut self) -> Result<u16, Unreadable> {
        Ok(u16::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::{Counts, SpelledDay, pack, spelled};

    #[test]
    fn a_day_packed_with_labels_reads_back_and_a_cut_one_is_an_error() {
        let counts = Counts::sample;
        let path = |p: &[&str]| p.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let day: SpelledDay = [
            (path(&["Email"]), counts(1)),
            (path(&["Direct", "Email", "Direct"]), counts(3)),
            (path(&["Organic Search"]), counts(0)),
        ]
        .into_iter()
        .collect();
        let blob = pack(&day).unwrap();
        assert_eq!(spelled(&blob).unwrap(), day);
        for cut in [1, 5, blob.len() - 1] {
            assert!(spelled(&blob[..cut]).is_err(), "cut at {cut}");
        }
    }
}
