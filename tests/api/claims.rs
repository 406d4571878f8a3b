//! Claims that cannot be true, end to end: a message dated before 2000 or more
//! than a day ahead, or worth more than any sum can hold, is rejected on its own
//! with the reason, and a client's clock is corrected as Segment corrects it.

use crate::common::{identify, page, spawn_app, track};
use chrono::{DateTime, Utc};
use serde_json::json;

fn rejected_for(reply: &crate::common::Reply, message_id: &str) -> String {
    let rejected = reply.body["rejected"].as_array().expect("a summary");
    let rejection = rejected
        .iter()
        .find(|r| r["messageId"] == message_id)
        .unwrap_or_else(|| panic!("{message_id} not rejected: {}", reply.body));
    rejection["error"].as_str().unwrap().to_owned()
}

/// Two conversions of 1.7e308 made every report's value `null` (infinite);
/// an empty report printed `-0.0`.
#[tokio::test]
async fn implausible_values_are_rejected_and_sums_stay_finite() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let empty = api.get("/api/report?model=linear").await;
    assert_eq!(empty.status, 200);
    assert!(!empty.body.to_string().contains("-0"), "{}", empty.body);

    let mut as_text = track(
        "c-text",
        "u1",
        "Order Completed",
        "2024-06-01T10:00:00Z",
        0.0,
    );
    as_text["properties"]["revenue"] = json!("Infinity");
    let body = json!([
        page(
            "p1",
            "d1",
            "2024-06-01T09:00:00Z",
            "https://acme.io/?utm_source=news&utm_medium=email",
            ""
        ),
        identify("i1", "d1", "u1", "2024-06-01T09:00:01Z"),
        track(
            "c-huge-1",
            "u1",
            "Order Completed",
            "2024-06-01T10:00:00Z",
            1.7e308
        ),
        track(
            "c-huge-2",
            "u1",
            "Order Completed",
            "2024-06-01T10:00:01Z",
            -1.7e308
        ),
        as_text,
        track(
            "c-fine",
            "u1",
            "Order Completed",
            "2024-06-01T10:00:02Z",
            1e12
        ),
    ]);
    let reply = api.post_json("/events", &body).await;
    assert_eq!(reply.body["accepted"], 3, "{}", reply.body);
    for id in ["c-huge-1", "c-huge-2", "c-text"] {
        let reason = rejected_for(&reply, id);
        assert!(reason.contains("properties.revenue"), "{reason}");
        assert!(reason.contains("1e12"), "{reason}");
    }
    let report = api.get("/api/report?model=linear").await;
    let total = report.body["total"]["value"].as_f64();
    assert_eq!(total, Some(1e12), "{}", report.body);
}

/// The earliest claim owns a device, so a claim dated year 1970 would take
/// any device from its user.
#[tokio::test]
async fn implausible_times_are_rejected_and_cannot_take_a_device() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    api.post_json(
        "/events",
        &identify("i-owner", "device-1", "owner", "2024-06-01T10:00:00Z"),
    )
    .await;
    let body = json!([
        identify("i-1970", "device-1", "thief", "1970-01-01T00:00:00Z"),
        identify("i-1999", "device-1", "thief", "1999-12-31T23:59:59Z"),
        identify("i-2099", "device-1", "thief", "2099-01-01T00:00:00Z"),
    ]);
    let reply = api.post_json("/events", &body).await;
    assert_eq!(reply.status, 400, "nothing usable: {}", reply.body);
    for id in ["i-1970", "i-1999", "i-2099"] {
        let reason = rejected_for(&reply, id);
        assert!(reason.contains("implausible"), "{reason}");
    }
    let device = api.get("/api/device/device-1").await;
    assert_eq!(device.body["userId"], "owner");
}

/// A library that sends straight to sma stamps `timestamp` and `sentAt` by a
/// clock that may be years off: the event is put at arrival minus the time
/// between the two, and a backdated claim becomes a claim of now.
#[tokio::test]
async fn a_wrong_client_clock_is_corrected_by_sent_at() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let mut message = identify("i-skewed", "device-2", "user-2", "2001-01-01T00:00:00Z");
    message["sentAt"] = json!("2001-01-01T00:00:05Z");
    let before = Utc::now();
    let reply = api.post_json("/v1/identify", &message).await;
    assert_eq!(reply.body["accepted"], 1, "{}", reply.body);
    let user = api.get("/api/user/user-2").await;
    let stored = user.body["events"][0]["timestamp"].as_str().unwrap();
    let at: DateTime<Utc> = stored.parse().unwrap();
    let expected = before - chrono::TimeDelta::seconds(5);
    assert!(
        (at - expected).num_seconds().abs() < 60,
        "stored at {at}, arrival was about {before}"
    );
}

/// A messageId names one message: a retry (only `sentAt`/`receivedAt`
/// differ) stays a duplicate, while another message under a taken id is
/// rejected with the reason and changes nothing, whether the id was taken
/// earlier in the body or before it.
#[tokio::test]
async fn another_message_under_a_taken_message_id_is_rejected() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let original = identify("i1", "laptop", "user-1", "2024-06-01T10:00:00Z");
    let first = api.post_json("/events", &json!([original])).await;
    assert_eq!(first.body["accepted"], 1, "{}", first.body);

    let mut retry = original.clone();
    retry["sentAt"] = json!("2024-06-01T10:00:09Z");
    retry["receivedAt"] = json!("2024-06-01T10:00:10Z");
    let mut forged = original.clone();
    forged["userId"] = json!("attacker");
    let mut forged_twin = page(
        "p1",
        "phone",
        "2024-06-01T11:00:00Z",
        "https://acme.io/",
        "",
    );
    forged_twin["anonymousId"] = json!("elsewhere");
    let reply = api
        .post_json(
            "/events",
            &json!([
                retry,
                forged,
                page(
                    "p1",
                    "phone",
                    "2024-06-01T11:00:00Z",
                    "https://acme.io/",
                    ""
                ),
                forged_twin
            ]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        (&reply.body["accepted"], &reply.body["duplicates"]),
        (&json!(1), &json!(1)),
        "{}",
        reply.body
    );
    let indices: Vec<&serde_json::Value> = reply.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["index"])
        .collect();
    assert_eq!(indices, [&json!(1), &json!(3)], "{}", reply.body);
    assert!(rejected_for(&reply, "i1").contains("taken by another message"));

    let device = api.get("/api/device/laptop").await;
    assert_eq!(device.body["userId"], "user-1", "{}", device.body);
    assert_eq!(api.get("/api/device/elsewhere").await.status, 404);
    assert_eq!(api.get("/api/user/attacker").await.status, 404);
}
