//! Bodies whose sender is not yet authenticated hold a bounded number of bytes
//! across all connections (`MAX_UNAUTHENTICATED_BYTES`).

use std::time::{Duration, Instant};

use crate::common::{Server, answer_of};

const MIB: u64 = 1 << 20;

fn upload_head(address: &str, extra: &str, length: usize) -> String {
    format!(
        "POST /events HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         {extra}Content-Length: {length}\r\n\r\n"
    )
}

/// 200 connections each send 1 MiB of a 5 MB body and stall. Without a shared
/// budget the server held all of it (from 18 to 228 MiB resident); with an
/// 8 MiB one it holds the budget (and what passing bytes through costs: 36 to
/// 40 MiB more in all), refuses the rest with a JSON 503 and `Retry-After`,
/// and `/health` answers meanwhile.
#[tokio::test]
async fn stalled_unauthenticated_uploads_hold_at_most_the_budget() {
    let server = Server::start(&[
        ("SEGMENT_SHARED_SECRET", "s3cret"),
        ("API_TOKEN", "token"),
        ("MAX_UNAUTHENTICATED_BYTES", &(8 * MIB).to_string()),
        ("BODY_READ_TIMEOUT_SECONDS", "120"),
        ("REQUEST_TIMEOUT_SECONDS", "120"),
    ]);
    let address = server.address();
    let baseline = server.rss_bytes();
    let mut request = upload_head(&address, "", 5_000_000).into_bytes();
    request.resize(request.len() + MIB as usize, b' ');
    let stalled: Vec<_> = (0..200)
        .map(|_| server.send_raw(&request, Duration::from_secs(2)))
        .collect();
    // Time for the server to read what it was sent.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = server.rss_bytes();
    assert!(
        rss < baseline + 96 * MIB,
        "resident memory grew from {} MiB to {} MiB",
        baseline / MIB,
        rss / MIB
    );
    let started = Instant::now();
    let health = server.client().get("/health").await;
    assert_eq!(health.status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));

    // The budget is spent: one more sender is told to come back later.
    let mut late = upload_head(&address, "", 5_000_000).into_bytes();
    late.extend_from_slice(b"[{\"type\":");
    let answer = answer_of(&mut server.send_raw(&late, Duration::from_secs(10)));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after:"),
        "{answer}"
    );
    assert!(answer.contains("MAX_UNAUTHENTICATED_BYTES"), "{answer}");
    assert!(answer.contains("{\"error\":"), "{answer}");

    // A caller the headers authenticate is not held to the budget.
    let body =
        crate::common::page("m1", "a1", "2024-06-01T10:00:00Z", "https://acme.io/", "").to_string();
    let reply = server
        .client()
        .with_header("authorization", "Bearer token")
        .post("/events", body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    drop(stalled);
}

/// A wrong bearer token is refused before any of the body is read, so a caller
/// without credentials cannot make the server wait for (or hold) its upload.
#[test]
fn a_wrong_bearer_token_is_refused_before_the_body() {
    let server = Server::start(&[("SEGMENT_SHARED_SECRET", "s3cret"), ("API_TOKEN", "token")]);
    let head = upload_head(
        &server.address(),
        "Authorization: Bearer wrong\r\n",
        5_000_000,
    );
    let started = Instant::now();
    let answer = answer_of(&mut server.send_raw(head.as_bytes(), Duration::from_secs(10)));
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("{\"error\":"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A body that stops arriving is answered 408 after `BODY_READ_TIMEOUT_SECONDS`,
/// and its budget is given back.
#[test]
fn a_body_that_stops_arriving_times_out() {
    let server = Server::start(&[("BODY_READ_TIMEOUT_SECONDS", "1")]);
    let mut head = upload_head(&server.address(), "", 1000).into_bytes();
    head.extend_from_slice(b"[{\"type\":");
    let started = Instant::now();
    let answer = answer_of(&mut server.send_raw(&head, Duration::from_secs(10)));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("BODY_READ_TIMEOUT_SECONDS"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
