//! Reading archives from real files: gzip (multi-member, truncated, corrupt),
//! plain lines, JSON arrays, directory trees, slow pipes; and never a panic.

use std::io::{self, Read};
use std::path::Path;

use proptest::prelude::*;
use sma_archive::{
    DEFAULT_MAX_RECORD_BYTES, GzipLines, Input, ReadError, Record, RecordError, Records, collect,
};

fn gzip(lines: &[&str], per_member: usize) -> Vec<u8> {
    let mut writer = GzipLines::new(Vec::new(), per_member, 6);
    for line in lines {
        writer.write_line(line.as_bytes()).unwrap();
    }
    writer.finish().unwrap()
}

fn read(bytes: Vec<u8>, array: bool) -> Vec<Result<Record, ReadError>> {
    read_max(bytes, array, 64)
}

fn read_max(bytes: Vec<u8>, array: bool, max: usize) -> Vec<Result<Record, ReadError>> {
    Records::from_reader(io::Cursor::new(bytes), array, max)
        .unwrap()
        .collect()
}

fn ok_lines(results: &[Result<Record, ReadError>]) -> Vec<(u64, String)> {
    results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|r| (r.line, String::from_utf8(r.bytes.clone()).unwrap()))
        .collect()
}

#[test]
fn multi_member_gzip_reads_every_line_in_order() {
    let lines: Vec<String> = (0..25).map(|i| format!("{{\"n\":{i}}}")).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let bytes = gzip(&refs, 4);
    let mut records = Records::from_reader(io::Cursor::new(bytes.clone()), false, 64).unwrap();
    assert!(records.is_gzip());
    let got: Vec<Record> = records.by_ref().map(Result::unwrap).collect();
    assert_eq!(got.len(), 25);
    assert_eq!(got[24].line, 25);
    assert_eq!(got[24].bytes, lines[24].as_bytes());
    assert_eq!(records.bytes_read(), bytes.len() as u64);
}

#[test]
fn a_truncated_member_keeps_the_lines_before_it() {
    let lines: Vec<String> = (0..40)
        .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i)))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let whole = gzip(&refs, 10);
    // Cut the last member (lines 31-40) in its middle.
    let cut = whole.len() - 40;
    let results = read(whole[..cut].to_vec(), false);
    let good = ok_lines(&results);
    assert!(
        good.len() >= 30,
        "the three whole members are read: {}",
        good.len()
    );
    assert_eq!(good[29].0, 30);
    let errors: Vec<&ReadError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(errors[0].error, RecordError::Truncated),
        "{:?}",
        errors[0]
    );
    assert!(errors[0].ends_input);
    assert_eq!(errors[0].line, good.len() as u64 + 1);
    assert!(
        results.last().unwrap().is_err(),
        "the error is the last item"
    );
}

#[test]
fn corrupt_compressed_data_is_reported_not_fatal_to_the_caller() {
    let mut bytes = gzip(&["{\"a\":1}", "{\"a\":2}"], 1);
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 6] {
        *b ^= 0x5a;
    }
    let results = read(bytes, false);
    let error = results
        .iter()
        .find_map(|r| r.as_ref().err())
        .expect("an error");
    assert!(error.ends_input);
}

#[test]
fn plain_lines_with_bom_crlf_blank_lines_and_an_overlong_line() {
    let text = format!(
        "\u{feff}{{\"a\":1}}\r\n\n   \n{{\"b\":2}}\n{}\n{{\"c\":3}}",
        "y".repeat(100)
    );
    let results = read(text.into_bytes(), false);
    let good = ok_lines(&results);
    assert_eq!(
        good,
        vec![
            (1, "{\"a\":1}\r".to_owned()),
            (4, "{\"b\":2}".to_owned()),
            (6, "{\"c\":3}".to_owned())
        ]
    );
    let error = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(error.line, 5);
    assert!(matches!(
        error.error,
        RecordError::TooLong { len: 100, max: 64 }
    ));
    assert!(!error.ends_input);
}

#[test]
fn a_json_file_may_hold_one_array_over_many_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    std::fs::write(&path, "\n[\n {\"a\": 1},\n {\"b\": [2, 3]}\n]\n").unwrap();
    let got: Vec<Record> = Records::open_file(&path, 64)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[1].line, got[1].bytes.as_slice()),
        (4, &b"{\"b\": [2, 3]}"[..])
    );

    // The same text in a .jsonl file is lines: `[` alone is a (bad) record.
    let lines = dir.path().join("export.jsonl");
    std::fs::write(&lines, "[\n{\"a\": 1}\n").unwrap();
    let got: Vec<_> = Records::open_file(&lines, 64)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got[0].bytes, b"[");
}

/// A reader that hands out one byte per read, as a slow pipe may.
struct Trickle(io::Cursor<Vec<u8>>);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

#[test]
fn a_slow_pipe_is_sniffed_and_read_the_same() {
    let bytes = gzip(&["{\"a\":1}", "{\"a\":2}"], 1);
    let records = Records::from_reader(Trickle(io::Cursor::new(bytes)), false, 64).unwrap();
    assert!(records.is_gzip());
    assert_eq!(records.map(Result::unwrap).count(), 2);
    let plain = Records::from_reader(
        Trickle(io::Cursor::new(b"\xEF\xBB\xBF{}\n{}".to_vec())),
        false,
        64,
    )
    .unwrap()
    .map(Result::unwrap)
    .collect::<Vec<_>>();
    assert_eq!(plain[0].bytes, b"{}");
}

fn touch(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn directory_trees_are_walked_in_natural_order_and_missing_paths_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("segment-logs");
    for name in [
        "src1/1700092800000/10.gz",
        "src1/1700092800000/9.gz",
        "src1/1700006400000/0.gz",
        "src0/1700006400000/a.jsonl",
        "src0/1700006400000/notes.txt",
        "src0/.hidden/0.gz",
    ] {
        touch(&root.join(name), "{}\n");
    }
    let single = dir.path().join("single.log");
    touch(&single, "{}\n");
    let missing = dir.path().join("nope");
    let found = collect(&[
        root.clone(),
        single.clone(),
        missing.clone(),
        root.clone(),
        "-".into(),
    ]);
    let names: Vec<String> = found.inputs.iter().map(ToString::to_string).collect();
    let rel = |p: &str| root.join(p).display().to_string();
    assert_eq!(
        names,
        vec![
            rel("src0/1700006400000/a.jsonl"),
            rel("src1/1700006400000/0.gz"),
            rel("src1/1700092800000/9.gz"),
            rel("src1/1700092800000/10.gz"),
            single.display().to_string(),
            "-".to_owned(),
        ]
    );
    assert_eq!(found.inputs[0].size(), Some(3));
    assert_eq!(found.inputs.last(), Some(&Input::Stdin));
    assert_eq!(found.problems.len(), 1);
    assert_eq!(
        found.problems[0].to_string(),
        format!("{}: no such file or directory", missing.display())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_plain_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600), array in any::<bool>()) {
        let _ = read(bytes, array).len();
    }

    #[test]
    fn never_panics_on_damaged_gzip(
        lines in proptest::collection::vec("[ -~]{0,40}", 0..20),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        mask in any::<u8>(),
    ) {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let mut bytes = gzip(&refs, 3);
        let at = flip.index(bytes.len());
        bytes[at] ^= mask;
        bytes.truncate(cut.index(bytes.len() + 1));
        let _ = read(bytes, false).len();
    }

    #[test]
    fn what_is_written_is_read_back(
        lines in proptest::collection::vec("[ -~]{0,80}", 0..40),
        per_member in 1usize..7,
    ) {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let records = Records::from_reader(io::Cursor::new(gzip(&refs, per_member)), false, DEFAULT_MAX_RECORD_BYTES).unwrap();
        let got: Vec<(u64, Vec<u8>)> = records.map(|r| { let r = r.unwrap(); (r.line, r.bytes) }).collect();
        let want: Vec<(u64, Vec<u8>)> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i as u64 + 1, l.as_bytes().to_vec()))
            .collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn array_elements_are_split_exactly(values in proptest::collection::vec(any::<(i32, String, bool)>(), 0..12)) {
        let items: Vec<String> = values
            .iter()
            .map(|(n, s, b)| format!("{{\"n\": {n}, \"s\": {}, \"list\": [{b}, {{\"x\": {}}}]}}", json_string(s), json_string(s)))
            .collect();
        let text = format!("[\n{}\n]\n", items.join(",\n"));
        let got: Vec<String> = read_max(text.into_bytes(), true, DEFAULT_MAX_RECORD_BYTES)
            .into_iter()
            .map(|r| String::from_utf8(r.unwrap().bytes).unwrap())
            .collect();
        prop_assert_eq!(got, items);
    }
}

/// A JSON string literal, escaped by hand (this crate has no JSON dependency).
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
