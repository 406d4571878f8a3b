//! What goes on the wire: endpoint path, auth, headers, body shape, ids and timestamps.

use crate::common::{at, client_for, fast_config, ids_of, message_ids, object, touch};
use segment_client::recorder::Recorder;
use segment_client::{Client, Message};
use serde_json::{Value, json};

fn sample() -> Vec<Message> {
    vec![
        Message::identify(
            "user-42",
            Some("device-1".into()),
            object(json!({"source_first_channel": "Paid Search", "source_touch_count": 3})),
            at("2021-02-03T04:05:06.789Z"),
        )
        .unwrap(),
        Message::track(
            "Source Identified",
            Some("user-42".into()),
            Some("device-1".into()),
            object(json!({"channel": "Paid Search", "touch_index": 0, "first_touch": true})),
            at("2021-02-03T04:05:06Z"),
        )
        .unwrap(),
        Message::track(
            "Source Identified",
            None,
            Some("device-2".into()),
            object(json!({"channel": "Direct", "touch_index": 1, "first_touch": false})),
            at("2021-02-04T00:00:00Z"),
        )
        .unwrap(),
    ]
}

#[tokio::test]
async fn posts_to_batch_path_with_exact_basic_auth_and_headers() {
    let recorder = Recorder::start().await.unwrap();
    let report = client_for(&recorder).send(sample()).await;
    assert_eq!((report.sent, report.batches, report.dry_run), (3, 1, false));

    let requests = recorder.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/batch");
    // base64("wk_sma_test:"), computed independently of the code under test.
    assert_eq!(
        request.header("authorization"),
        Some("Basic d2tfc21hX3Rlc3Q6")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let agent = request.header("user-agent").unwrap();
    assert!(agent.starts_with("sma/"), "{agent}");
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );
}

#[tokio::test]
async fn body_follows_the_tracking_api_batch_spec() {
    let recorder = Recorder::start().await.unwrap();
    let messages = sample();
    let expected_ids = message_ids(&messages);
    client_for(&recorder).send(messages).await;

    let body = recorder.requests()[0].json.clone().unwrap();
    let sent_at = at(body["sentAt"].as_str().unwrap());
    assert!(
        (chrono::Utc::now() - sent_at).num_seconds().abs() < 60,
        "sentAt is now"
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "only batch and sentAt: {body}"
    );

    let batch = body["batch"].as_array().unwrap();
    assert_eq!(ids_of(batch), expected_ids);
    let identify = &batch[0];
    assert_eq!(identify["type"], "identify");
    assert_eq!(identify["userId"], "user-42");
    assert_eq!(identify["anonymousId"], "device-1");
    assert_eq!(identify["traits"]["source_first_channel"], "Paid Search");
    assert_eq!(identify["traits"]["source_touch_count"], 3);
    assert!(identify.get("event").is_none() && identify.get("properties").is_none());

    let track = &batch[1];
    assert_eq!(track["type"], "track");
    assert_eq!(track["event"], "Source Identified");
    assert_eq!(track["properties"]["first_touch"], true);
    assert!(track.get("traits").is_none());
    assert!(batch[2].get("userId").is_none(), "no userId when unknown");

    for message in batch {
        assert_eq!(message["context"]["library"]["name"], "sma");
        assert_eq!(
            message["context"]["library"]["version"],
            segment_client::LIBRARY_VERSION
        );
        let id = uuid_version(&message["messageId"]);
        assert_eq!(id, 5, "messageId is a v5 UUID: {message}");
    }
}

fn uuid_version(id: &Value) -> u32 {
    let text = id.as_str().unwrap();
    assert_eq!(text.len(), 36, "{text}");
    text[14..15].parse().unwrap()
}

#[tokio::test]
async fn historic_timestamps_arrive_exactly_as_given() {
    let recorder = Recorder::start().await.unwrap();
    let stamps = [
        "2019-03-04T05:06:07.123456789Z",
        "2019-03-04T05:06:07.120Z",
        "2001-01-01T00:00:00Z",
    ];
    let messages = stamps
        .iter()
        .map(|ts| Message::identify("u", None, object(json!({})), at(ts)).unwrap())
        .collect();
    client_for(&recorder).send(messages).await;

    let got: Vec<_> = recorder
        .messages()
        .iter()
        .map(|m| m["timestamp"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, stamps);
}

#[tokio::test]
async fn same_facts_sent_twice_carry_identical_message_ids() {
    let recorder = Recorder::start().await.unwrap();
    let client = client_for(&recorder);
    client.send(sample()).await;
    client.send(sample()).await;

    let ids = ids_of(&recorder.messages());
    assert_eq!(ids.len(), 6);
    assert_eq!(ids[..3], ids[3..]);
    let distinct: std::collections::HashSet<_> = ids[..3].iter().collect();
    assert_eq!(distinct.len(), 3, "different facts, different ids");
}

#[tokio::test]
async fn dry_run_sends_nothing_and_returns_what_would_be_sent() {
    let recorder = Recorder::start().await.unwrap();
    for key in [None, Some("  ")] {
        let client = Client::new(fast_config(recorder.endpoint(), key)).unwrap();
        assert!(client.is_dry_run());
        let messages: Vec<_> = (0..3000).map(|i| touch(i, 0)).collect();
        let expected: Vec<Value> = messages.iter().map(Message::to_json).collect();
        let report = client.send(messages).await;

        assert!(report.dry_run);
        assert_eq!((report.messages, report.sent, report.batches), (3000, 0, 2));
        assert!(report.failed.is_empty());
        assert_eq!(report.would_send, expected);
        let summary = serde_json::to_value(&report).unwrap();
        assert_eq!(summary["dry_run"], true);
        assert_eq!(summary["would_send"].as_array().unwrap().len(), 3000);
    }
    assert!(
        recorder.requests().is_empty(),
        "dry run must not touch the network"
    );
}

#[tokio::test]
async fn one_client_reuses_its_connection() {
    let recorder = Recorder::start().await.unwrap();
    let client = client_for(&recorder);
    for _ in 0..3 {
        assert_eq!(client.send(sample()).await.sent, 3);
    }
    assert_eq!(recorder.requests().len(), 3);
    assert_eq!(
        recorder.connections(),
        1,
        "the pool keeps one connection alive"
    );
}
