//! Helpers shared by the peer-comparison tests: where a peer's fixture lives and how
//! names compare across databases that spell the same platform differently.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::Command;

use sma_sources::known_source;

/// Directory of a dev-dependency's package as cargo unpacked it from the registry,
/// so peer fixtures are read where they ship instead of being copied into this repo.
/// Found from the lock file's version in cargo's registry cache, else by asking cargo.
pub fn package_dir(name: &str) -> PathBuf {
    registry_copy(name).unwrap_or_else(|| from_cargo_metadata(name))
}

fn registry_copy(name: &str) -> Option<PathBuf> {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|p| p.exists())?;
    let lock = std::fs::read_to_string(lock).ok()?;
    let version = lock
        .split("[[package]]")
        .find(|block| block.contains(&format!("name = \"{name}\"\n")))?
        .lines()
        .find_map(|line| line.strip_prefix("version = \""))?
        .trim_end_matches('"');
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    std::fs::read_dir(cargo_home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|index| index.path().join(format!("{name}-{version}")))
        .find(|dir| dir.join("Cargo.toml").exists())
}

fn from_cargo_metadata(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let manifest = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["manifest_path"].as_str())
        .unwrap_or_else(|| panic!("{name} is a dev-dependency"));
    PathBuf::from(manifest)
        .parent()
        .expect("package dir")
        .to_path_buf()
}

/// Lowercase letters and digits only: `Yahoo! Images` and `yahoo images` agree.
pub fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// True when a peer's source name and ours denote the same platform: equal once
/// squashed, or the peer's name resolves through our aliases and hosts to the
/// platform we named (`hotmail` -> Outlook.com, `Claude.ai` -> Claude).
pub fn same_source(ours: &str, theirs: &str) -> bool {
    squash(ours) == squash(theirs) || known_source(theirs).is_some_and(|k| k.source == ours)
}
