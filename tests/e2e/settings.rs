//! The documented settings are the real ones: `.env.example` parses, every setting
//! sma reads is in it and in docs/settings.md, and a bad value stops `sma serve`
//! with a message naming the setting.

use std::collections::HashMap;
use std::process::Command;

use sma_app::Settings;

fn example() -> HashMap<String, String> {
    dotenvy::from_path_iter(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example"))
        .expect(".env.example exists")
        .map(|pair| pair.expect(".env.example parses"))
        .collect()
}

/// The names `Settings::from_lookup` asks for, but the earlier names of
/// renamed settings (read only while the setting is unset).
fn names_read() -> Vec<String> {
    let asked = std::cell::RefCell::new(Vec::new());
    Settings::from_lookup(|name| {
        asked.borrow_mut().push(name.to_owned());
        None
    })
    .unwrap();
    let mut names = asked.into_inner();
    names.retain(|name| !sma_app::RENAMED.iter().any(|(_, earlier)| earlier == name));
    names
}

#[test]
fn env_example_lists_every_setting_and_its_values_are_valid() {
    let example = example();
    let names = names_read();
    assert!(names.len() >= 25, "{names:?}");
    for name in &names {
        assert!(
            example.contains_key(name),
            "{name} is missing from .env.example"
        );
    }
    let parsed = Settings::from_lookup(|name| example.get(name).cloned())
        .expect(".env.example values are valid");
    assert_eq!(
        parsed,
        Settings::defaults(),
        ".env.example shows the defaults"
    );
}

#[test]
fn docs_document_every_setting() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/settings.md")).unwrap();
    for name in names_read() {
        assert!(
            docs.contains(&format!("`{name}`")),
            "{name} is missing from docs/settings.md"
        );
    }
}

#[test]
fn a_bad_setting_stops_the_server_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sma"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("SESSION_TIMEOUT_MINUTES", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SESSION_TIMEOUT_MINUTES"), "{stderr}");
}

#[test]
fn a_malformed_env_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "PORT='unterminated\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sma"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains(".env"));
}
