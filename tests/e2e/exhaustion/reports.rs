//! Reports that take a while (a Markov chain of order 4 over thousands of
//! paths) must not hold up `sma serve`'s other answers: their arithmetic runs
//! on blocking threads, so `/health` answers promptly while they run.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::Server;

/// Five thousand generated visitors over sixty days, imported into `db`.
fn imported(db: &Path) {
    let dir = db.parent().unwrap();
    let sma = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sma"))
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("SMA_DB", db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let out = dir.to_str().unwrap();
    sma(&["gen", "--visitors", "5000", "--days", "60", "--out", out]);
    sma(&["import", &format!("{out}/segment-logs")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn health_answers_promptly_while_heavy_reports_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    imported(&db);
    let server = Server::start_on(&db, &[]);
    let api = server.client();
    let report = "/api/report?model=markov&order=4&from=2025-01-01&to=2025-03-01";

    let started = Instant::now();
    let reports: Vec<_> = (0..6)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                let reply = api.get(report).await;
                assert_eq!(reply.status, 200, "{}", reply.body);
                started.elapsed()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut health = Vec::new();
    for _ in 0..5 {
        let asked = Instant::now();
        assert_eq!(api.get("/health").await.status, 200);
        health.push((asked.elapsed(), started.elapsed()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut done = Vec::new();
    for r in reports {
        done.push(r.await.unwrap());
    }
    let first_done = *done.iter().min().unwrap();
    // Only the answers given while every report was still running count.
    let during: Vec<Duration> = health
        .iter()
        .filter(|(_, at)| *at < first_done)
        .map(|(took, _)| *took)
        .collect();
    assert!(!during.is_empty(), "the reports ended first: {done:?}");
    let slowest = *during.iter().max().unwrap();
    assert!(
        slowest * 4 < first_done,
        "/health took {slowest:?} while reports took {done:?}"
    );
}
