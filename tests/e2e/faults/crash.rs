//! `kill -9` of `sma serve` in the middle of concurrent intake: every message of
//! every request answered 2xx is in the store after a restart. (A 2xx is sent once
//! the body is in the intake log, which a process crash keeps; the restarted
//! server applies what the log holds before it listens.)

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::common::{Server, page};

const WRITERS: usize = 8;
const PER_REQUEST: usize = 5;

/// Posts bodies of fresh messages until the server stops answering; returns the
/// messageIds of the bodies answered 2xx.
async fn writer(url: String, writer: usize, acked: Arc<Mutex<Vec<String>>>) {
    let http = crate::common::http_client();
    for request in 0.. {
        let ids: Vec<String> = (0..PER_REQUEST)
            .map(|k| format!("crash-{writer}-{request}-{k}"))
            .collect();
        let body: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(k, id)| {
                let at = format!("2024-06-{:02}T10:{:02}:00Z", 1 + request % 28, k);
                page(
                    id,
                    &format!("crash-{writer}"),
                    &at,
                    "https://acme.io/",
                    "https://www.google.com/",
                )
            })
            .collect();
        let sent = http
            .post(format!("{url}/events"))
            .header("content-type", "application/json")
            .body(Value::Array(body).to_string())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                acked.lock().unwrap().extend(ids);
            }
            Ok(response) => panic!("intake answered {} before the crash", response.status()),
            // The server is gone: what it acknowledged is what counts.
            Err(_) => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_message_survives_a_kill_9_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    let server = Server::start_on(&db, &[]);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(writer(server.url.clone(), w, Arc::clone(&acked))))
        .collect();
    // Let the load run until plenty is acknowledged, then crash mid-stream.
    for _ in 0..300 {
        if acked.lock().unwrap().len() >= 100 * PER_REQUEST {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill9();
    for w in writers {
        w.await.unwrap();
    }
    let acked: BTreeSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert!(
        acked.len() >= 50,
        "load ran before the crash: {}",
        acked.len()
    );

    let restarted = Server::start_on(&db, &[]);
    let api = restarted.client();
    let mut stored = BTreeSet::new();
    for w in 0..WRITERS {
        let reply = api.get(&format!("/api/device/crash-{w}")).await;
        if reply.status == 404 {
            continue;
        }
        assert_eq!(reply.status, 200, "{}", reply.body);
        stored.extend(
            reply.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["messageId"].as_str().unwrap().to_owned()),
        );
    }
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged messages lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
    // The restarted server takes new intake on the recovered file.
    let after = api
        .post_json(
            "/events",
            &page(
                "crash-after",
                "crash-after",
                "2024-07-01T00:00:00Z",
                "https://acme.io/",
                "",
            ),
        )
        .await;
    assert_eq!(after.body["accepted"], 1, "{}", after.body);
    println!(
        "kill -9 under load: {} acknowledged, {} stored, none lost",
        acked.len(),
        stored.len()
    );
}
