//! `sma backfill` against a recorder playing Segment: historic timestamps, a range,
//! chosen users, dry run, identical messageIds on a re-run, and a resumed run.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{Server, identify, page, track};
use segment_client::recorder::Recorder;
use serde_json::{Value, json};

async fn populated(db: &Path) {
    let server = Server::start_on(db, &[]);
    let body = json!([
        page(
            "a1",
            "dev-a",
            "2024-01-10T09:00:00Z",
            "https://acme.io/?utm_source=newsletter&utm_medium=email",
            ""
        ),
        page(
            "a2",
            "dev-a",
            "2024-03-10T09:00:00Z",
            "https://acme.io/",
            "https://www.google.com/"
        ),
        identify("ia", "dev-a", "user-a", "2024-03-10T09:01:00Z"),
        track("ta", "user-a", "Signed Up", "2024-03-10T09:02:00Z", 0.0),
        page(
            "b1",
            "dev-b",
            "2024-02-10T09:00:00Z",
            "https://acme.io/",
            "https://www.linkedin.com/"
        ),
        identify("ib", "dev-b", "user-b", "2024-02-10T09:01:00Z"),
        page(
            "c1",
            "dev-c",
            "2024-02-11T09:00:00Z",
            "https://acme.io/",
            ""
        ),
    ]);
    server.client().post_json("/events", &body).await;
    assert!(server.stop().success());
}

fn backfill(db: &Path, recorder: Option<&Recorder>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sma"));
    command
        .arg("backfill")
        .args(args)
        .current_dir(db.parent().unwrap())
        .env_clear()
        .env("SMA_DB", db);
    if let Some(r) = recorder {
        command
            .env("SEGMENT_ENDPOINT", r.url())
            .env("ANALYTICS_WRITE_KEY", "wk");
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn summary(messages: &[Value]) -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = messages
        .iter()
        .map(|m| {
            let who = m["userId"]
                .as_str()
                .or(m["anonymousId"].as_str())
                .unwrap()
                .to_owned();
            let channel = m["properties"]["channel"].as_str();
            let what = match (m["event"].as_str(), channel) {
                (Some("Conversion Attributed"), Some(channel)) => format!("credit {channel}"),
                (_, channel) => channel.unwrap_or("identify").to_owned(),
            };
            (who, what, m["timestamp"].as_str().unwrap()[..10].to_owned())
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn backfill_sends_history_with_its_own_timestamps_and_the_same_ids_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    populated(&db).await;
    let recorder = Recorder::start().await.unwrap();
    let out = backfill(&db, Some(&recorder), &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("3 journeys"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = recorder.messages();
    let t = |who: &str, what: &str, day: &str| (who.to_owned(), what.to_owned(), day.to_owned());
    assert_eq!(
        summary(&first),
        [
            t("dev-c", "Direct", "2024-02-11"),
            t("user-a", "Email", "2024-01-10"),
            t("user-a", "Organic Search", "2024-03-10"),
            t("user-a", "credit Email", "2024-03-10"),
            t("user-a", "credit Organic Search", "2024-03-10"),
            t("user-a", "identify", "2024-03-10"),
            t("user-b", "Organic Social", "2024-02-10"),
            t("user-b", "identify", "2024-02-10"),
        ]
    );

    backfill(&db, Some(&recorder), &[]);
    let mut again: Vec<_> = recorder.messages()[first.len()..]
        .iter()
        .map(|m| m["messageId"].clone())
        .collect();
    let mut ids: Vec<_> = first.iter().map(|m| m["messageId"].clone()).collect();
    again.sort_by_key(|v| v.to_string());
    ids.sort_by_key(|v| v.to_string());
    assert_eq!(again, ids, "a re-run sends identical messageIds");
}

#[tokio::test(flavor = "multi_thread")]
async fn backfill_honours_range_users_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    populated(&db).await;
    let recorder = Recorder::start().await.unwrap();
    backfill(
        &db,
        Some(&recorder),
        &["--since", "2024-02-01", "--until", "2024-03-01"],
    );
    let ranged = summary(&recorder.messages());
    assert!(
        ranged.iter().all(|(_, what, day)| what == "identify"
            || (day.as_str() >= "2024-02-01" && day.as_str() < "2024-03-01")),
        "{ranged:?}"
    );
    assert!(ranged.contains(&(
        "user-b".into(),
        "Organic Social".into(),
        "2024-02-10".into()
    )));

    let before = recorder.messages().len();
    backfill(&db, Some(&recorder), &["--users", "user-a"]);
    let chosen = summary(&recorder.messages()[before..]);
    assert!(
        chosen.iter().all(|(who, _, _)| who == "user-a"),
        "{chosen:?}"
    );
    assert_eq!(chosen.len(), 5, "two touches, their credits, the identify");

    let before = recorder.messages().len();
    let out = backfill(&db, Some(&recorder), &["--dry-run", "--users", "user-b"]);
    assert_eq!(recorder.messages().len(), before, "a dry run sends nothing");
    let printed: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 2, "it prints what it would send");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_backfill_resumes_after_the_last_journey_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    populated(&db).await;
    let recorder = Recorder::start().await.unwrap();
    // Journeys go in order, users first: a run stopped after user-a left this.
    let checkpoint = dir.path().join("sma.db-backfill");
    let all = "only=identify,touches,conversions";
    std::fs::write(
        &checkpoint,
        format!("since=- until=- users= {all}\tusr:user-a\n"),
    )
    .unwrap();
    let out = backfill(&db, Some(&recorder), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("resuming after User(\"user-a\")"),
        "{stderr}"
    );
    let who: std::collections::BTreeSet<String> = summary(&recorder.messages())
        .into_iter()
        .map(|(who, _, _)| who)
        .collect();
    assert_eq!(who, ["dev-c".to_owned(), "user-b".to_owned()].into());
    assert!(!checkpoint.exists(), "a finished run leaves no checkpoint");

    // A checkpoint of another range does not apply: everything is sent.
    std::fs::write(
        &checkpoint,
        format!("since=2024-01-01 until=- users= {all}\tusr:user-a\n"),
    )
    .unwrap();
    let before = recorder.messages().len();
    backfill(&db, Some(&recorder), &[]);
    assert_eq!(recorder.messages().len() - before, 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn backfill_sends_only_the_parts_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    populated(&db).await;
    let recorder = Recorder::start().await.unwrap();
    backfill(&db, Some(&recorder), &["--only", "conversions"]);
    let credits = recorder.messages();
    let t = |what: &str| {
        (
            "user-a".to_owned(),
            what.to_owned(),
            "2024-03-10".to_owned(),
        )
    };
    assert_eq!(
        summary(&credits),
        [t("credit Email"), t("credit Organic Search")]
    );

    // The endpoint sends the same events, under the same ids.
    let server = Server::start_on(
        &db,
        &[
            ("SEGMENT_ENDPOINT", &recorder.url()),
            ("ANALYTICS_WRITE_KEY", "wk"),
        ],
    );
    let reply = server
        .client()
        .get("/segment/conversions/user/user-a")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let ids = |messages: &[Value]| {
        let mut ids: Vec<String> = messages
            .iter()
            .map(|m| m["messageId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&recorder.messages()[credits.len()..]), ids(&credits));
    assert!(server.stop().success());

    let before = recorder.messages().len();
    backfill(&db, Some(&recorder), &["--only", "identify"]);
    let identifies = summary(&recorder.messages()[before..]);
    assert!(
        identifies.iter().all(|(_, what, _)| what == "identify") && identifies.len() == 2,
        "{identifies:?}"
    );

    let refused = Command::new(env!("CARGO_BIN_EXE_sma"))
        .args(["backfill", "--only", "identify,credits"])
        .env_clear()
        .env("SMA_DB", &db)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("unknown part \"credits\""), "{stderr}");
}
