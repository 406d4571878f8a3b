//! The rule-set version stamped on every [`Source`](crate::Source), so a stored
//! Source says which rules and host data produced it and old results can be told
//! apart after an upgrade.

use std::sync::LazyLock;

/// Bumped by hand when the detection logic changes what it returns; data changes are
/// picked up by the hash without a bump.
const LOGIC_REVISION: u32 = 2;

/// FNV-1a over every compiled-in data file.
fn data_hash() -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    let texts = crate::db::FILES
        .iter()
        .map(|(_, text)| *text)
        .chain([crate::config::DEFAULT_EXCLUSIONS]);
    for text in texts {
        for byte in text.bytes().chain([0]) {
            hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }
    hash
}

static RULESET: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{}.r{LOGIC_REVISION}+{:08x}",
        env!("CARGO_PKG_VERSION"),
        data_hash()
    )
});

/// The rule-set version, e.g. `0.1.0.r1+3fa2b1c0`: crate version, logic revision and
/// a hash of the host data.
pub fn ruleset() -> &'static str {
    &RULESET
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruleset_names_version_revision_and_data() {
        let r = ruleset();
        assert!(
            r.starts_with(concat!(env!("CARGO_PKG_VERSION"), ".r")),
            "{r}"
        );
        assert!(r.ends_with(&format!("{:08x}", data_hash())), "{r}");
    }
}
