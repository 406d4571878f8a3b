//! `sma import` and `sma gen` end to end: the real binary, archives written by
//! `sma gen`, a real SQLite store inspected with rusqlite.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rusqlite::Connection;
use serde_json::Value;
use sma_archive::{DEFAULT_MAX_RECORD_BYTES, GzipLines, Records};
use sma_store_sqlite::SqliteStore;

mod deletions;
mod dynamodb;
mod generator;
mod interrupted;
mod rebuild;
mod reused;

/// A scratch directory: the working directory of every run (so no developer's
/// .env is read) and the home of archives and stores.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sma(&self, db: &Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sma"));
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("SMA_DB", db)
            .env("RUST_LOG", "warn");
        command
    }

    /// `sma gen` into `name`; answers the archive's directory.
    fn generate(&self, name: &str, visitors: u32, days: u32, seed: u64) -> PathBuf {
        let out = self.path(name);
        let output = self
            .sma(&self.path("unused.db"))
            .args([
                "gen",
                "--visitors",
                &visitors.to_string(),
                "--days",
                &days.to_string(),
            ])
            .args(["--seed", &seed.to_string(), "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "gen failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("wrote "));
        out
    }

    /// `sma import --json ARGS` into `db`: the exit status and the summary.
    fn import(&self, db: &Path, args: &[&Path]) -> (Output, Value) {
        let output = self
            .sma(db)
            .arg("import")
            .arg("--json")
            .args(args)
            .output()
            .unwrap();
        let summary = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        (output, summary)
    }
}

/// The tables [`dump`] reads, in its order: the raw events and claims, then
/// everything derived from them.
const TABLES: [&str; 11] = [
    "events",
    "identity_claims",
    "touches",
    "device_states",
    "markers",
    "conversions",
    "credits",
    "journeys",
    "credit_totals",
    "path_days",
    "funnel_totals",
];

/// Every line of an archive directory, in the order import reads them.
fn archive_lines(dir: &Path) -> Vec<String> {
    let found = sma_archive::collect(&[dir]);
    assert!(found.problems.is_empty());
    found
        .inputs
        .iter()
        .flat_map(|s| s.open(DEFAULT_MAX_RECORD_BYTES).unwrap())
        .map(|r| String::from_utf8(r.unwrap().bytes).unwrap())
        .collect()
}

fn distinct_ids(lines: &[String]) -> usize {
    let ids: BTreeSet<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["messageId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.len()
}

/// The whole state of a store, table by table, in a canonical order.
/// Every row, with `raw` and `touch` unpacked: how they are packed depends on
/// when the store trained its dictionary, which depends on the batch size.
fn dump(db: &Path) -> Vec<Vec<String>> {
    let conn = Connection::open(db).unwrap();
    SqliteStore::register_functions(&conn).unwrap();
    let tables = [
        "SELECT message_id, type, anonymous_id, user_id, ts, event, sma_unpack(raw) FROM events ORDER BY message_id",
        "SELECT anonymous_id, user_id, claimed_at, message_id FROM identity_claims ORDER BY anonymous_id, user_id",
        "SELECT device, message_id, ts, sma_unpack(touch) FROM touches ORDER BY device, message_id",
        "SELECT device, state FROM device_states ORDER BY device",
        "SELECT message_id, carrier, kind, ts, event, value FROM markers ORDER BY message_id",
        "SELECT message_id, owner, event, ts, value, path FROM conversions ORDER BY message_id",
        "SELECT conversion, device, touch, ts, channel, source, medium, campaign, term, content, landing_page, credits
         FROM credits ORDER BY conversion, device, touch",
        "SELECT owner, open_day, open_path, funnel FROM journeys ORDER BY owner",
        // Totals are sums of differences: equal up to rounding, and a total
        // brought back to zero may stay as a row.
        "SELECT model, day, channel, campaign, round(conversions, 6), round(value, 6) FROM credit_totals
         WHERE abs(conversions) > 1e-9 OR abs(value) > 1e-9 ORDER BY 1, 2, 3, 4",
        // Path ids depend on the order paths were first counted: spelled.
        "SELECT day, paths.path, p.value ->> 'conversions', p.value ->> 'non_conversions',
           round(p.value ->> 'value', 6), round(p.value ->> 'days', 6)
         FROM path_days, json_each(sma_path_totals(totals)) AS p
         JOIN paths ON paths.id = p.value ->> 'path_id' ORDER BY 1, 2",
        "SELECT day, first, last, visits, leads, opportunities, conversions FROM funnel_totals
         WHERE visits <> 0 OR leads <> 0 OR opportunities <> 0 OR conversions <> 0 ORDER BY 1, 2, 3",
    ];
    tables
        .iter()
        .map(|sql| {
            let mut stmt = conn.prepare(sql).unwrap();
            let columns = stmt.column_count();
            stmt.query_map([], |row| {
                let cells: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect();
                Ok(cells.join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        })
        .collect()
}

fn count(db: &Path, table: &str) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn n(summary: &Value, field: &str) -> u64 {
    summary[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {summary}"))
}

#[test]
fn a_generated_archive_is_imported_once_and_reimporting_adds_nothing() {
    let s = Scratch::new();
    let archive = s.generate("archive", 400, 20, 7);
    let lines = archive_lines(&archive);
    let unique = distinct_ids(&lines);
    let files = sma_archive::collect(&[&archive]).inputs.len() as u64;
    assert!(files > 1, "a day per directory, several files");

    let db = s.path("sma.db");
    let (output, first) = s.import(&db, &[&archive]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(n(&first, "files"), files);
    assert_eq!(n(&first, "lines"), lines.len() as u64);
    assert_eq!(n(&first, "events"), lines.len() as u64);
    assert_eq!(n(&first, "stored"), unique as u64);
    // The generator redelivers a few messages, as Segment does.
    assert_eq!(n(&first, "duplicates"), (lines.len() - unique) as u64);
    assert_eq!(n(&first, "rejected"), 0);
    assert_eq!(count(&db, "events"), unique as i64);
    assert!(n(&first, "usersSeen") > 0 && n(&first, "journeysSettled") > 0);
    assert_eq!(n(&first, "newTouches"), count(&db, "touches") as u64);
    let before = dump(&db);

    // Cut into small batches, a device's events and a journey's touches span
    // many of them: the store ends the same.
    let small = s.path("small.db");
    let output = s
        .sma(&small)
        .args(["import", "--batch", "37"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(dump(&small), before, "small batches changed the result");

    let (output, again) = s.import(&db, &[&archive]);
    assert!(output.status.success());
    assert_eq!(n(&again, "stored"), 0);
    assert_eq!(n(&again, "duplicates"), lines.len() as u64);
    assert_eq!(n(&again, "newTouches"), 0);
    assert_eq!(dump(&db), before, "re-importing changed the store");
}

#[test]
fn plain_files_json_arrays_and_stdin_are_read_like_gzip() {
    let s = Scratch::new();
    let lines = archive_lines(&s.generate("archive", 60, 5, 11));
    let unique = distinct_ids(&lines);
    let (a, rest) = lines.split_at(lines.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    let jsonl = s.path("part.jsonl");
    std::fs::write(&jsonl, a.join("\n")).unwrap();
    // A pretty JSON array over many lines.
    let json = s.path("part.json");
    std::fs::write(&json, format!("[\n  {}\n]\n", b.join(",\n  "))).unwrap();

    let db = s.path("sma.db");
    let mut child = s
        .sma(&db)
        .args(["import", "--json"])
        .arg(&jsonl)
        .arg(&json)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let piped = c.join("\n");
    std::thread::spawn(move || stdin.write_all(piped.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(n(&summary, "files"), 3);
    assert_eq!(n(&summary, "events"), lines.len() as u64);
    assert_eq!(n(&summary, "stored"), unique as u64);
    assert_eq!(n(&summary, "rejected"), 0);
    assert_eq!(count(&db, "events"), unique as i64);

    // The same messages from the gzip archive: nothing new.
    let (_, gz) = s.import(&db, &[&s.path("archive")]);
    assert_eq!(n(&gz, "stored"), 0);
}

#[test]
fn corrupt_lines_and_a_truncated_gzip_member_are_reported_and_the_rest_imported() {
    let s = Scratch::new();
    let lines = archive_lines(&s.generate("archive", 40, 3, 5));
    let good: Vec<&String> = {
        let mut seen = BTreeSet::new();
        lines
            .iter()
            .filter(|l| {
                seen.insert(serde_json::from_str::<Value>(l).unwrap()["messageId"].to_string())
            })
            .take(60)
            .collect()
    };
    let dir = s.path("bad");
    std::fs::create_dir_all(&dir).unwrap();

    // Plain: lines 3, 5 and 7 are bad in three different ways.
    let mut text: Vec<String> = good[..20].iter().map(|l| l.to_string()).collect();
    text.insert(
        2,
        "{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":".into(),
    );
    text.insert(
        4,
        "{\"type\":\"page\",\"anonymousId\":\"a\",\"timestamp\":\"2025-01-01T00:00:00Z\"}".into(),
    );
    text.insert(
        6,
        format!("{{\"pad\":\"{}\"}}", "x".repeat(DEFAULT_MAX_RECORD_BYTES)),
    );
    let plain = dir.join("a.jsonl");
    std::fs::write(&plain, text.join("\n")).unwrap();

    // Gzip: three members of 10 lines, the last cut short.
    let mut gz = GzipLines::new(Vec::new(), 10, 6);
    for line in &good[20..50] {
        gz.write_line(line.as_bytes()).unwrap();
    }
    let bytes = gz.finish().unwrap();
    let truncated = dir.join("b.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() - 30]).unwrap();
    let readable = Records::open_file(&truncated, DEFAULT_MAX_RECORD_BYTES)
        .unwrap()
        .filter(Result::is_ok)
        .count();
    assert!((20..30).contains(&readable), "{readable}");

    let db = s.path("sma.db");
    let (output, summary) = s.import(&db, &[&dir]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(n(&summary, "stored"), 20 + readable as u64);
    assert_eq!(count(&db, "events"), 20 + readable as i64);
    assert_eq!(n(&summary, "rejected"), 3);
    let at = |reason: &Value| reason["examples"][0]["at"].as_str().unwrap().to_owned();
    let reasons: Vec<(String, String)> = summary["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["reason"].as_str().unwrap().to_owned(), at(r)))
        .collect();
    let p = plain.display();
    for (reason, line) in [("not valid JSON", 3), ("messageId", 5), ("limit", 7)] {
        let hit = reasons
            .iter()
            .find(|(r, _)| r.contains(reason))
            .unwrap_or_else(|| panic!("{reason} in {reasons:?}"));
        assert_eq!(hit.1, format!("{p}:{line}"));
    }
    assert_eq!(n(&summary, "problemCount"), 1);
    let problem = &summary["problems"][0];
    assert_eq!(
        problem["at"],
        format!("{}:{}", truncated.display(), readable + 1)
    );
    assert!(
        problem["error"].as_str().unwrap().contains("truncated"),
        "{problem}"
    );

    // The human summary names the same places.
    let text = s.sma(&db).arg("import").arg(&dir).output().unwrap();
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(
        out.contains(&format!("{p}:3")) && out.contains("truncated"),
        "{out}"
    );
}

#[test]
fn missing_paths_are_named_and_nothing_readable_fails() {
    let s = Scratch::new();
    let db = s.path("sma.db");
    let missing = s.path("no-such-archive");
    let (output, _) = s.import(&db, &[&missing]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&missing.display().to_string()) && stderr.contains("no such file"),
        "{stderr}"
    );

    let empty = s.path("empty-dir");
    std::fs::create_dir_all(&empty).unwrap();
    let (output, _) = s.import(&db, &[&empty]);
    assert!(!output.status.success());

    // One readable path is enough: the missing one is reported, the rest imported.
    let archive = s.generate("archive", 10, 2, 3);
    let (output, summary) = s.import(&db, &[&archive, &missing]);
    assert!(output.status.success());
    assert!(n(&summary, "stored") > 0);
    assert_eq!(summary["problems"][0]["at"], missing.display().to_string());
}
