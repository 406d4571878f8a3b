//! `sma detect` and `sma report` as a user runs them.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::{Server, identify, page, track};
use serde_json::{Value, json};

fn sma(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sma"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn detect_prints_the_source_of_one_visit() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "detect",
        "--url",
        "https://acme.io/?gclid=x",
        "--referrer",
        "https://www.google.com/",
    ];
    let source: Value = serde_json::from_str(&stdout(&sma(dir.path(), &args, &[], ""))).unwrap();
    assert_eq!(
        (source["channel"].as_str(), source["click_id"].as_str()),
        (Some("Paid Search"), Some("gclid"))
    );
    assert!(source["ruleset"].as_str().is_some_and(|r| !r.is_empty()));

    let internal = sma(
        dir.path(),
        &[
            "detect",
            "--url",
            "https://acme.io/b",
            "--referrer",
            "https://blog.acme.io/",
        ],
        &[("INTERNAL_DOMAINS", "acme.io")],
        "",
    );
    let source: Value = serde_json::from_str(&stdout(&internal)).unwrap();
    assert_eq!(source["channel"], "Internal", "settings apply");

    let missing = sma(dir.path(), &["detect"], &[], "");
    assert!(!missing.status.success());
}

#[test]
fn detect_jsonl_answers_every_line_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let referrers = [
        "https://www.bing.com/search?q=x",
        "https://partner-blog.example.org/post",
        "",
        "https://chatgpt.com/",
    ];
    let mut input = String::new();
    for i in 0..1000 {
        let line = json!({"url": format!("https://acme.io/{i}"), "referrer": referrers[i % 4]});
        input.push_str(&format!("{line}\n"));
        if i == 500 {
            input.push_str("this is not json\n");
        }
    }
    let output = stdout(&sma(dir.path(), &["detect", "--jsonl"], &[], &input));
    let lines: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1001, "one answer per input line");
    assert!(lines[501]["error"].as_str().unwrap().contains("line 502"));
    let expected = ["Organic Search", "Referral", "Direct", "AI Assistant"];
    for (i, line) in lines.iter().enumerate().filter(|(i, _)| *i != 501) {
        let input_index = if i > 501 { i - 1 } else { i };
        assert_eq!(line["channel"], expected[input_index % 4], "line {i}");
    }
}

#[test]
fn report_prints_table_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    let server = Server::start_on(&db, &[]);
    let body = json!([
        page(
            "p1",
            "d1",
            "2024-06-01T09:00:00Z",
            "https://acme.io/?utm_source=newsletter&utm_medium=email",
            ""
        ),
        page(
            "p2",
            "d1",
            "2024-06-02T09:00:00Z",
            "https://acme.io/",
            "https://www.google.com/"
        ),
        identify("i1", "d1", "u1", "2024-06-02T09:01:00Z"),
        track("t1", "u1", "Signed Up", "2024-06-02T09:02:00Z", 50.0),
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(server.client().post_json("/events", &body));
    assert!(server.stop().success());
    let env = [("SMA_DB", db.to_str().unwrap())];

    let json_out = stdout(&sma(
        dir.path(),
        &["report", "--model", "first", "--format", "json"],
        &env,
        "",
    ));
    let report: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(report["model"], "first");
    assert_eq!(
        report["channels"],
        json!([{"channel": "Email", "conversions": 1.0, "value": 50.0, "share": 1.0,
                "spend": null, "roas": null, "cac": null}])
    );

    let csv_out = stdout(&sma(
        dir.path(),
        &["report", "--model", "linear", "--format", "csv"],
        &env,
        "",
    ));
    let mut lines: Vec<&str> = csv_out.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "",
            "",
            "Email,,0.5,25,,,",
            "Email,0.5,25,0.5,,,,,,",
            "Organic Search,,0.5,25,,,",
            "Organic Search,0.5,25,0.5,,,,,,",
            "channel,campaign,conversions,value,spend,roas,cac",
            "channel,conversions,value,share,share_low,share_high,low_data,spend,roas,cac"
        ]
    );

    let table = stdout(&sma(
        dir.path(),
        &[
            "report",
            "--model",
            "last",
            "--from",
            "2024-06-01",
            "--to",
            "2024-07-01",
        ],
        &env,
        "",
    ));
    assert!(table.contains("model last"), "{table}");
    let organic = table
        .lines()
        .find(|l| l.starts_with("Organic Search"))
        .expect("a row per channel");
    assert!(
        organic.contains("1.00") && organic.contains("50.00") && organic.contains("100.0%"),
        "{organic}"
    );

    // Data-driven rows carry the interval of their share and the low-data flag.
    let markov = stdout(&sma(
        dir.path(),
        &[
            "report", "--model", "markov", "--order", "2", "--format", "json",
        ],
        &env,
        "",
    ));
    let markov: Value = serde_json::from_str(&markov).unwrap();
    assert_eq!(
        (markov["order"].as_u64(), markov["model"].as_str()),
        (Some(2), Some("markov"))
    );
    for row in markov["channels"].as_array().unwrap() {
        assert!(
            row["interval"]["low"].is_number() && row["low_data"].is_boolean(),
            "{row}"
        );
    }
    let table = stdout(&sma(
        dir.path(),
        &["report", "--model", "shapley"],
        &env,
        "",
    ));
    // One converting path, no channel alone: every resample splits it equally.
    assert!(
        table.contains("95% interval") && table.contains("50.0-50.0%"),
        "{table}"
    );
    let wrong = sma(
        dir.path(),
        &["report", "--model", "first", "--order", "2"],
        &env,
        "",
    );
    assert!(!wrong.status.success());

    let bad = sma(dir.path(), &["report", "--model", "nope"], &env, "");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nope"));
}
