//! Slow and idle connections on `sma serve`: a head must arrive in time
//! (`HEADER_READ_TIMEOUT_SECONDS`), a connection may wait only so long for its
//! next request (`IDLE_TIMEOUT_SECONDS`), and at most `MAX_CONNECTIONS` are
//! open, the longest idle closed to make room for a new one.

use std::time::{Duration, Instant};

use crate::common::{Server, answer_of};

/// 300 connections that never send a byte, against a limit of 50: the process
/// holds about the limit in descriptors (before, it held every connection
/// until it ran out of them), and `/health` on a new connection answers.
#[tokio::test]
async fn idle_connections_beyond_the_limit_are_shed() {
    let server = Server::start(&[("MAX_CONNECTIONS", "50")]);
    let baseline = server.open_fds();
    let idle: Vec<_> = (0..300)
        .map(|_| server.send_raw(b"", Duration::from_secs(10)))
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fds = server.open_fds();
    assert!(
        fds <= baseline + 50 + 5,
        "{fds} descriptors open, {baseline} before"
    );
    let started = Instant::now();
    assert_eq!(server.client().get("/health").await.status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    // The first ones were closed to make room; the latest are still open.
    let mut first = idle.into_iter().next().unwrap();
    assert_eq!(answer_of(&mut first), "", "closed without an answer");
}

/// Half a request line is all a slow client sends: the connection is closed
/// once `HEADER_READ_TIMEOUT_SECONDS` have passed since its first byte.
#[test]
fn half_a_head_is_closed_after_the_header_timeout() {
    let server = Server::start(&[
        ("HEADER_READ_TIMEOUT_SECONDS", "1"),
        ("IDLE_TIMEOUT_SECONDS", "60"),
    ]);
    let started = Instant::now();
    let mut slow = server.send_raw(b"GET /health HT", Duration::from_secs(20));
    let answer = answer_of(&mut slow);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    assert!(!answer.contains("200"), "{answer}");
}

/// A keep-alive connection is closed `IDLE_TIMEOUT_SECONDS` after its last
/// answer, and a connection that never sends a request the same.
#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let server = Server::start(&[
        ("HEADER_READ_TIMEOUT_SECONDS", "60"),
        ("IDLE_TIMEOUT_SECONDS", "1"),
    ]);
    let started = Instant::now();
    let request = format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", server.address());
    let answer = answer_of(&mut server.send_raw(request.as_bytes(), Duration::from_secs(20)));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let silent = answer_of(&mut server.send_raw(b"", Duration::from_secs(20)));
    assert_eq!(silent, "");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(8), "closed after {took:?}");
}
