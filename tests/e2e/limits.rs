//! Every limit answers with its own clear 4xx/5xx JSON error, and what is within
//! the limits is unaffected.

use std::time::{Duration, Instant};

use crate::common::{Server, answer_of, page};
use serde_json::json;

#[tokio::test]
async fn url_header_batch_and_nesting_limits() {
    let server = Server::start(&[("MAX_BATCH_MESSAGES", "3")]);
    let api = server.client();

    let long = format!("/api/user/{}", "x".repeat(sma_app::MAX_URL_BYTES));
    let reply = api.get(&long).await;
    assert_eq!(reply.status, 414);
    assert!(reply.body["error"].as_str().unwrap().contains("URL"));

    let big = "v".repeat(sma_app::MAX_HEADER_BYTES);
    let reply = server
        .client()
        .with_header("x-padding", &big)
        .get("/health")
        .await;
    assert_eq!(reply.status, 431);
    assert!(reply.body["error"].as_str().unwrap().contains("headers"));

    let many: Vec<_> = (0..4)
        .map(|i| {
            page(
                &format!("m{i}"),
                "a",
                "2024-06-01T10:00:00Z",
                "https://acme.io/",
                "",
            )
        })
        .collect();
    let reply = api.post_json("/events", &json!(many)).await;
    assert_eq!(reply.status, 413);
    assert!(
        reply.body["error"]
            .as_str()
            .unwrap()
            .contains("MAX_BATCH_MESSAGES")
    );
    assert_eq!(
        api.get("/api/device/a").await.status,
        404,
        "nothing of it stored"
    );
    let reply = api.post_json("/events", &json!(many[..3])).await;
    assert_eq!(reply.body["accepted"], 3, "at the limit is fine");

    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let reply = api.post("/events", deep).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body["error"]
            .as_str()
            .unwrap()
            .contains("recursion limit"),
        "{}",
        reply.body
    );
    // Deep nesting inside one message of a batch: the body is unusable as a whole.
    let mut nested = page("deep", "a", "2024-06-01T10:00:00Z", "https://acme.io/", "");
    nested["properties"]["x"] = json!("PLACEHOLDER");
    let deep_property = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let text = nested
        .to_string()
        .replace("\"PLACEHOLDER\"", &deep_property);
    let reply = api.post("/events", format!("[{text}]")).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body["error"]
            .as_str()
            .unwrap()
            .contains("recursion limit")
    );
}

#[test]
fn a_stalled_upload_times_out_with_a_json_503() {
    let server = Server::start(&[("REQUEST_TIMEOUT_SECONDS", "1")]);
    let address = server.address();
    let started = Instant::now();
    let head = format!(
        "POST /events HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"type\":"
    );
    let mut stream = server.send_raw(head.as_bytes(), Duration::from_secs(10));
    let answer = answer_of(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT_SECONDS"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Requests hyper itself cannot read (it answers them before any handler) get
/// the same JSON error as every other answer, not an empty body.
#[test]
fn errors_of_the_http_layer_are_json() {
    let server = Server::start(&[]);
    let host = server.address();
    let long_url = format!(
        "GET /{} HTTP/1.1\r\nHost: {host}\r\n\r\n",
        "x".repeat(70_000)
    );
    let many_headers = format!(
        "GET /health HTTP/1.1\r\nHost: {host}\r\n{}\r\n",
        (0..150)
            .map(|i| format!("x-h{i}: v\r\n"))
            .collect::<String>()
    );
    let bad_framing = format!(
        "POST /events HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{{}}"
    );
    for (request, status) in [
        (long_url, "414"),
        (many_headers, "431"),
        (bad_framing, "400"),
        ("NOT HTTP AT ALL\r\n\r\n".to_owned(), "400"),
    ] {
        let answer = answer_of(&mut server.send_raw(request.as_bytes(), Duration::from_secs(10)));
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("content-type: application/json"), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(json["error"].is_string(), "{body}");
    }
}
