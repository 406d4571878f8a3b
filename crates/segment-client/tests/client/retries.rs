//! Transient failures are retried (within bounds), permanent ones are not, and every
//! undelivered message is reported with the reason.

use std::time::{Duration, Instant};

use crate::common::{WRITE_KEY, client_for, fast_config, ids_of, message_ids, touch};
use segment_client::recorder::{Recorder, Response};
use segment_client::{Client, ClientConfig, Endpoint, Message, SendReport};

fn touches(n: usize) -> Vec<Message> {
    (0..n).map(|i| touch(i, 0)).collect()
}

async fn send_through(recorder: &Recorder, script: Vec<Response>, n: usize) -> SendReport {
    for response in script {
        recorder.push_response(response);
    }
    client_for(recorder).send(touches(n)).await
}

/// Every request carried the same batch: a retry resends, it does not reshuffle.
fn assert_same_batch_each_time(recorder: &Recorder, expected: &[String]) {
    for request in recorder.requests().iter().filter(|r| r.status.is_some()) {
        assert_eq!(ids_of(request.batch()), expected);
    }
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let recorder = Recorder::start().await.unwrap();
    let started = Instant::now();
    let report = send_through(&recorder, vec![Response::too_many_requests(1)], 5).await;

    assert_eq!((report.sent, report.failed.len()), (5, 0));
    let requests = recorder.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, Some(429));
    let waited = requests[1].received_at - requests[0].received_at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_same_batch_each_time(&recorder, &message_ids(&touches(5)));
}

#[tokio::test]
async fn retry_after_is_capped_by_configuration() {
    let recorder = Recorder::start().await.unwrap();
    recorder.push_response(Response::too_many_requests(3600));
    let config = ClientConfig {
        max_retry_after: Duration::from_millis(20),
        ..fast_config(recorder.endpoint(), Some(WRITE_KEY))
    };
    let client = Client::new(config).unwrap();
    let report = tokio::time::timeout(Duration::from_secs(30), client.send(touches(2)))
        .await
        .expect("the hour asked for is capped");

    assert_eq!(report.sent, 2);
    assert_eq!(recorder.requests().len(), 2);
}

#[tokio::test]
async fn transient_statuses_are_retried() {
    for status in [503, 500, 502, 504, 408] {
        let recorder = Recorder::start().await.unwrap();
        let report = send_through(&recorder, vec![Response::status(status)], 4).await;

        assert_eq!(report.sent, 4, "after {status}");
        let statuses: Vec<_> = recorder.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Some(status), Some(200)]);
        assert_same_batch_each_time(&recorder, &message_ids(&touches(4)));
    }
}

#[tokio::test]
async fn bad_request_is_not_retried_and_reported() {
    let recorder = Recorder::start().await.unwrap();
    let rejection = Response::status(400).body(r#"{"error":"invalid batch"}"#);
    let report = send_through(&recorder, vec![rejection], 3).await;

    assert_eq!(recorder.requests().len(), 1, "exactly one request");
    assert_eq!(report.sent, 0);
    let failed_ids: Vec<_> = report.failed.iter().map(|f| f.message_id.clone()).collect();
    assert_eq!(failed_ids, message_ids(&touches(3)));
    for failure in &report.failed {
        assert!(failure.reason.contains("400"), "{}", failure.reason);
        assert!(
            failure.reason.contains("invalid batch"),
            "{}",
            failure.reason
        );
    }
}

#[tokio::test]
async fn permanent_statuses_are_not_retried() {
    for status in [401, 403, 404, 413, 501, 505] {
        let recorder = Recorder::start().await.unwrap();
        let report = send_through(&recorder, vec![Response::status(status)], 2).await;

        assert_eq!(recorder.requests().len(), 1, "status {status}");
        assert_eq!(report.failed.len(), 2, "status {status}");
        assert!(report.failed[0].reason.contains(&status.to_string()));
    }
}

#[tokio::test]
async fn connection_reset_mid_request_is_retried() {
    let recorder = Recorder::start().await.unwrap();
    let report = send_through(&recorder, vec![Response::reset()], 10).await;

    assert_eq!((report.sent, report.failed.len()), (10, 0));
    let requests = recorder.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, None, "the first was reset");
    assert!(
        requests[0].body.is_empty(),
        "reset before the body was read"
    );
    assert_eq!(ids_of(&recorder.messages()), message_ids(&touches(10)));
}

#[tokio::test]
async fn repeated_resets_end_as_network_errors() {
    let recorder = Recorder::start().await.unwrap();
    let report = send_through(&recorder, vec![Response::reset(); 3], 2).await;

    assert_eq!(recorder.requests().len(), 3);
    assert_eq!(report.failed.len(), 2);
    let reason = &report.failed[0].reason;
    assert!(
        reason.starts_with("gave up after 3 attempts: network error"),
        "{reason}"
    );
}

#[tokio::test]
async fn exhausted_attempts_fail_the_batch_with_the_last_reason() {
    let recorder = Recorder::start().await.unwrap();
    let script = vec![Response::status(503).body("down for maintenance"); 3];
    let report = send_through(&recorder, script, 3).await;

    assert_eq!(recorder.requests().len(), 3, "max_attempts is 3");
    assert_eq!(report.sent, 0);
    assert_eq!(report.failed.len(), 3);
    let reason = &report.failed[0].reason;
    assert!(reason.starts_with("gave up after 3 attempts"), "{reason}");
    assert!(
        reason.contains("503") && reason.contains("down for maintenance"),
        "{reason}"
    );
}

#[tokio::test]
async fn only_the_failing_batch_is_reported() {
    let recorder = Recorder::start().await.unwrap();
    let report = send_through(&recorder, vec![Response::status(400)], 3000).await;

    assert_eq!(report.batches, 2);
    let first_batch = recorder.requests()[0].batch().len();
    assert_eq!(report.failed.len(), first_batch);
    assert_eq!(report.sent, 3000 - first_batch);
    assert_eq!(recorder.messages().len(), report.sent);
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let recorder = Recorder::start().await.unwrap();
    recorder.push_response(Response::ok().after(Duration::from_secs(5)));
    let config = ClientConfig {
        request_timeout: Duration::from_millis(300),
        ..fast_config(recorder.endpoint(), Some(WRITE_KEY))
    };
    let report = Client::new(config).unwrap().send(touches(2)).await;

    assert_eq!((report.sent, report.failed.len()), (2, 0));
    assert_eq!(recorder.requests().len(), 2);
}

#[tokio::test]
async fn unreachable_endpoint_is_retried_then_reported() {
    // A port that was just free: nothing listens there any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let report = Client::new(fast_config(endpoint, Some(WRITE_KEY)))
        .unwrap()
        .send(touches(2))
        .await;

    assert_eq!(report.sent, 0);
    assert_eq!(report.failed.len(), 2);
    let reason = &report.failed[0].reason;
    assert!(
        reason.starts_with("gave up after 3 attempts: network error"),
        "{reason}"
    );
}
