//! Feeding attribution back to Segment, end to end: the app sends to a local
//! recorder that plays Segment's Tracking API.

use std::time::Duration;

use crate::common::{TestApp, identify, page, recorded_until, spawn_app, track};
use segment_client::recorder::{Recorder, Response};
use serde_json::{Value, json};

fn history() -> Value {
    json!([
        page("ad", "laptop", "2024-06-01T09:00:00Z", "https://acme.io/pricing?gclid=Cj0KCQ", "https://www.google.com/"),
        page("organic", "phone", "2024-06-03T20:00:00Z", "https://acme.io/", "https://www.google.com/search?q=acme"),
        page("mail", "laptop", "2024-06-05T08:00:00Z", "https://acme.io/?utm_source=newsletter&utm_medium=email&utm_campaign=june", ""),
        identify("who", "laptop", "user-1", "2024-06-05T08:01:00Z"),
        {"type": "alias", "messageId": "link", "previousId": "phone", "userId": "user-1", "timestamp": "2024-06-05T08:02:00Z"},
        track("buy", "user-1", "Order Completed", "2024-06-05T08:10:00Z", 120.0),
    ])
}

async fn server(recorder: &Recorder, extra: &[(&str, &str)]) -> TestApp {
    let url = recorder.url();
    let mut env = vec![
        ("SEGMENT_ENDPOINT", url.as_str()),
        ("ANALYTICS_WRITE_KEY", "wk-test"),
    ];
    env.extend_from_slice(extra);
    spawn_app(&env).await
}

fn ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_owned())
        .collect()
}

fn count(messages: &[Value], kind: &str) -> usize {
    messages.iter().filter(|m| m["type"] == kind).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn identify_traits_and_source_identified_events_reach_segment() {
    let recorder = Recorder::start().await.unwrap();
    let server = server(
        &recorder,
        &[("ANALYTICS_TRAIT_MODELS", "first,linear,time_decay")],
    )
    .await;
    let api = server.client();
    api.post_json("/events", &history()).await;

    let reply = api.get("/segment/identify/user/user-1").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        (reply.body["sent"].as_u64(), reply.body["dry_run"].as_bool()),
        (Some(1), Some(false))
    );
    let request = &recorder.requests()[0];
    assert_eq!(request.path, "/v1/batch");
    assert_eq!(
        request.header("authorization"),
        Some("Basic d2stdGVzdDo="),
        "base64(writeKey + ':')"
    );
    let identify = &recorder.messages()[0];
    assert_eq!(identify["type"], "identify");
    assert_eq!(identify["userId"], "user-1");
    let traits = &identify["traits"];
    assert_eq!(traits["source_first_channel"], "Paid Search");
    assert_eq!(
        traits["source_first_landing_page"],
        "https://acme.io/pricing?gclid=Cj0KCQ"
    );
    assert_eq!(traits["source_first_timestamp"], "2024-06-01T09:00:00.000Z");
    assert_eq!(traits["source_last_channel"], "Email");
    assert_eq!(
        (
            traits["source_last_source"].as_str(),
            traits["source_last_campaign"].as_str()
        ),
        (Some("newsletter"), Some("june"))
    );
    assert_eq!(traits["source_last_non_direct_medium"], "email");
    assert_eq!(
        (
            traits["source_touch_count"].as_u64(),
            traits["source_device_count"].as_u64()
        ),
        (Some(3), Some(2))
    );
    // Each model named: its top channel and the value it credits the user's
    // conversions (ties go to the first channel by name).
    assert_eq!(
        (
            &traits["source_first_top_channel"],
            &traits["source_first_value"]
        ),
        (&json!("Paid Search"), &json!(120.0))
    );
    assert_eq!(traits["source_linear_top_channel"], "Email");
    assert_eq!(traits["source_linear_value"], 120.0);
    assert_eq!(traits["source_time_decay_top_channel"], "Email");
    assert!(traits.get("source_position_value").is_none(), "not named");
    assert_eq!(traits["source_conversion_count"], 1);
    assert_eq!(
        traits["source_first_conversion_timestamp"],
        "2024-06-05T08:10:00.000Z"
    );
    // 06-01 09:00 to 06-05 08:10, over the three touches of its window.
    assert_eq!(traits["source_days_to_first_conversion"], 3.965278);
    assert_eq!(traits["source_touches_to_first_conversion"], 3);

    let reply = api.get("/segment/track/user/user-1").await;
    assert_eq!(reply.body["sent"], 3, "{}", reply.body);
    let tracks: Vec<Value> = recorder.messages()[1..].to_vec();
    let summary: Vec<_> = tracks
        .iter()
        .map(|t| {
            let p = &t["properties"];
            (
                t["event"].as_str().unwrap(),
                t["anonymousId"].as_str().unwrap(),
                t["userId"].as_str().unwrap(),
                t["timestamp"].as_str().unwrap()[..19].to_owned(),
                p["channel"].as_str().unwrap(),
                p["touch_index"].as_u64().unwrap(),
                p["first_touch"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Source Identified",
                "laptop",
                "user-1",
                "2024-06-01T09:00:00".into(),
                "Paid Search",
                0,
                true
            ),
            (
                "Source Identified",
                "phone",
                "user-1",
                "2024-06-03T20:00:00".into(),
                "Organic Search",
                1,
                false
            ),
            (
                "Source Identified",
                "laptop",
                "user-1",
                "2024-06-05T08:00:00".into(),
                "Email",
                2,
                false
            ),
        ],
        "one track per touch, with its historic timestamp"
    );
    let incoming = ["ad", "organic", "mail", "who", "link", "buy"];
    assert!(
        ids(&tracks)
            .iter()
            .all(|id| !incoming.contains(&id.as_str())),
        "never an incoming messageId"
    );

    // The same facts again: the same messageIds, so Segment deduplicates.
    api.get("/segment/identify/user/user-1").await;
    api.get("/segment/track/user/user-1").await;
    let all = recorder.messages();
    assert_eq!(ids(&all[4..8]), ids(&all[0..4]));
    // One device's touches are the same messages as within the user's.
    let reply = api.get("/segment/track/device/phone").await;
    assert_eq!(reply.body["sent"], 1);
    assert_eq!(ids(&recorder.messages()[8..]), ids(&tracks[1..2]));
    // The earlier path of the same route sends the same.
    let reply = api.get("/segment/track/anonymous/phone").await;
    assert_eq!(reply.body["sent"], 1);
    assert_eq!(ids(&recorder.messages()[9..]), ids(&tracks[1..2]));

    for path in [
        "/segment/identify/user/nobody",
        "/segment/track/user/nobody",
        "/segment/track/device/nobody",
    ] {
        assert_eq!(api.get(path).await.status, 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_write_key_the_feed_runs_dry() {
    let recorder = Recorder::start().await.unwrap();
    let url = recorder.url();
    let server = spawn_app(&[("SEGMENT_ENDPOINT", url.as_str())]).await;
    let api = server.client();
    api.post_json("/events", &history()).await;
    let reply = api.get("/segment/track/user/user-1").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        (reply.body["dry_run"].as_bool(), reply.body["sent"].as_u64()),
        (Some(true), Some(0))
    );
    let would = reply.body["would_send"].as_array().unwrap();
    assert_eq!(would.len(), 3);
    assert_eq!(would[0]["event"], "Source Identified");
    assert!(recorder.requests().is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_segment_is_reported_and_the_data_kept() {
    let recorder = Recorder::start().await.unwrap();
    for _ in 0..10 {
        recorder.push_response(Response::status(400).body("{\"error\": \"bad\"}"));
    }
    let server = server(&recorder, &[]).await;
    let api = server.client();
    api.post_json("/events", &history()).await;
    let reply = api.get("/segment/track/user/user-1").await;
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_eq!(reply.body["failed"].as_array().unwrap().len(), 3);
    assert_eq!(recorder.requests().len(), 1, "a 400 is not retried");
    assert_eq!(
        api.get("/api/user/user-1").await.body["touches"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn real_time_mode_sends_a_new_touch_without_any_call() {
    let recorder = Recorder::start().await.unwrap();
    let server = server(&recorder, &[("REALTIME_FEED", "true")]).await;
    let api = server.client();
    api.post_json("/events", &history()).await;
    let messages = recorded_until(&recorder, 0, |m| {
        count(m, "track") >= 3 && count(m, "identify") > 0
    })
    .await;
    assert!(count(&messages, "track") >= 3, "{messages:?}");
    let before = recorder.messages().len();
    let new_page = page(
        "new",
        "laptop",
        "2024-06-20T09:00:00Z",
        "https://acme.io/",
        "https://chatgpt.com/",
    );
    api.post_json("/events", &new_page).await;
    let new = recorded_until(&recorder, before, |m| count(m, "identify") > 0).await;
    let track = new
        .iter()
        .find(|m| m["type"] == "track")
        .expect("the new touch is sent");
    assert_eq!(
        (
            track["properties"]["channel"].as_str(),
            track["userId"].as_str()
        ),
        (Some("AI Assistant"), Some("user-1"))
    );
    let identify = new
        .iter()
        .find(|m| m["type"] == "identify")
        .expect("the user's traits are updated");
    assert_eq!(identify["traits"]["source_last_channel"], "AI Assistant");
    assert_eq!(identify["traits"]["source_touch_count"], 4);
    // A retried delivery of the same page is no new touch: nothing more is sent.
    let after = recorder.messages().len();
    api.post_json("/events", &new_page).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(recorder.messages().len(), after);
}

#[tokio::test(flavor = "multi_thread")]
async fn linking_a_device_resends_the_touches_already_sent_under_the_same_ids() {
    let recorder = Recorder::start().await.unwrap();
    let server = server(&recorder, &[]).await;
    let api = server.client();
    let first = json!([
        page(
            "late-1",
            "desk",
            "2024-06-04T09:00:00Z",
            "https://acme.io/?utm_source=newsletter&utm_medium=email",
            ""
        ),
        page(
            "late-2",
            "desk",
            "2024-06-06T09:00:00Z",
            "https://acme.io/",
            "https://www.google.com/search?q=acme"
        ),
        identify("late-3", "desk", "user-2", "2024-06-06T09:01:00Z"),
    ]);
    api.post_json("/events", &first).await;
    api.get("/segment/track/user/user-2").await;
    let before = ids(&recorder.messages());
    assert_eq!(before.len(), 2);

    // A second device with an earlier touch: every touch moves one place on.
    let second = json!([
        page(
            "late-4",
            "tablet",
            "2024-06-01T09:00:00Z",
            "https://acme.io/pricing?gclid=Cj0KCQ",
            "https://www.google.com/"
        ),
        identify("late-5", "tablet", "user-2", "2024-06-06T10:00:00Z"),
    ]);
    api.post_json("/events", &second).await;
    api.get("/segment/track/user/user-2").await;
    let messages = recorder.messages();
    let after = ids(&messages[2..]);
    assert_eq!(after.len(), 3);
    let indexes: Vec<i64> = messages[2..]
        .iter()
        .map(|m| m["properties"]["touch_index"].as_i64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 1, 2], "touch_index still says the place");
    let new: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    assert_eq!(
        new.len(),
        1,
        "only the new device's touch has a new id: {after:?}"
    );
    assert_eq!(
        &after[1..],
        &before[..],
        "the touches sent before keep their ids"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn real_time_mode_sends_the_identify_of_a_user_who_gains_a_device() {
    let recorder = Recorder::start().await.unwrap();
    let server = server(&recorder, &[("REALTIME_FEED", "true")]).await;
    let api = server.client();
    let visit = page(
        "rt-1",
        "tab",
        "2024-06-01T09:00:00Z",
        "https://acme.io/",
        "https://www.google.com/search?q=acme",
    );
    api.post_json("/events", &visit).await;
    let sent = recorded_until(&recorder, 0, |m| count(m, "track") > 0).await;
    assert_eq!(count(&sent, "track"), 1, "the touch, anonymously");
    assert_eq!(count(&sent, "identify"), 0, "no user yet");

    // The link alone starts no touch; the user's traits changed all the same.
    api.post_json(
        "/events",
        &identify("rt-2", "tab", "user-9", "2024-06-01T09:05:00Z"),
    )
    .await;
    let identifies: Vec<Value> = recorded_until(&recorder, 0, |m| count(m, "identify") > 0)
        .await
        .into_iter()
        .filter(|m| m["type"] == "identify")
        .collect();
    assert_eq!(identifies.len(), 1, "{:?}", recorder.messages());
    let traits = &identifies[0]["traits"];
    assert_eq!(identifies[0]["userId"], "user-9");
    assert_eq!(traits["source_first_channel"], "Organic Search");
    assert_eq!(
        (
            traits["source_touch_count"].as_u64(),
            traits["source_device_count"].as_u64()
        ),
        (Some(1), Some(1))
    );
}
