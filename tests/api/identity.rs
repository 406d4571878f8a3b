//! Identity stitching end to end: devices linked to users by identify, alias and
//! events carrying both ids; blocked ids; conflicts visible in the API.

use crate::common::{identify, page, spawn_app, track};
use serde_json::json;

#[tokio::test]
async fn a_user_with_two_devices_and_an_alias() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let body = json!([
        page("p-laptop", "laptop", "2024-06-01T09:00:00Z", "https://acme.io/?gclid=abc", "https://www.google.com/"),
        page("p-phone", "phone", "2024-06-02T09:00:00Z", "https://acme.io/blog", "https://t.co/xyz"),
        identify("i-laptop", "laptop", "user-42", "2024-06-01T09:05:00Z"),
        {"type": "alias", "messageId": "a-phone", "previousId": "phone", "userId": "user-42", "timestamp": "2024-06-02T09:01:00Z"},
        track("t-signup", "user-42", "Signed Up", "2024-06-02T09:10:00Z", 0.0),
        page("p-other", "stranger", "2024-06-03T09:00:00Z", "https://acme.io/", ""),
    ]);
    assert_eq!(api.post_json("/events", &body).await.body["accepted"], 6);

    let user = api.get("/api/user/user-42").await;
    assert_eq!(user.status, 200);
    assert_eq!(user.body["userId"], "user-42");
    assert_eq!(user.body["devices"], json!(["laptop", "phone"]));
    let ids: Vec<_> = user.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["p-laptop", "i-laptop", "p-phone", "a-phone", "t-signup"],
        "all devices, time order"
    );
    assert_eq!(user.body["conflicts"], json!([]));
    let signup = &user.body["events"][4];
    assert_eq!(
        (signup["type"].as_str(), signup["event"].as_str()),
        (Some("track"), Some("Signed Up"))
    );

    let phone = api.get("/api/device/phone").await;
    assert_eq!(
        phone.body["userId"], "user-42",
        "linking is retroactive for earlier events"
    );
    assert_eq!(phone.body["events"][0]["referrer"], "https://t.co/xyz");
    assert_eq!(
        api.get("/api/device/stranger").await.body["userId"],
        json!(null)
    );
    let alias = api.get("/api/anonymous/phone").await;
    assert_eq!(
        (alias.status, alias.body),
        (200, phone.body),
        "the earlier path answers the same"
    );
}

#[tokio::test]
async fn blocked_ids_never_link_and_conflicts_are_recorded() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let body = json!([
        identify("i-null", "null", "user-1", "2024-06-01T09:00:00Z"),
        identify("i-zero", "device-1", "0", "2024-06-01T09:00:01Z"),
        identify("i-first", "device-1", "user-1", "2024-06-01T10:00:00Z"),
        identify("i-second", "device-1", "user-2", "2024-06-01T11:00:00Z"),
    ]);
    api.post_json("/events", &body).await;
    let one = api.get("/api/user/user-1").await;
    assert_eq!(
        one.body["devices"],
        json!(["device-1"]),
        "the first link wins; `null` is never a device"
    );
    let conflict = json!([{"anonymousId": "device-1", "owner": "user-1", "claimant": "user-2",
                           "claimedAt": "2024-06-01T11:00:00Z", "messageId": "i-second"}]);
    assert_eq!(one.body["conflicts"], conflict);
    let two = api.get("/api/user/user-2").await;
    assert_eq!(
        two.status, 200,
        "a user with only a conflict is still visible"
    );
    assert_eq!(two.body["devices"], json!([]));
    assert_eq!(two.body["conflicts"], conflict);
    assert_eq!(
        api.get("/api/user/0").await.status,
        200,
        "its own events are stored, only never linked"
    );
    assert_eq!(
        api.get("/api/device/device-1").await.body["userId"],
        "user-1"
    );
}

/// Placeholders that integrations send for "no id" never link, whatever their
/// spelling; and an id is trimmed on lookup as it is on intake.
#[tokio::test]
async fn placeholder_ids_never_link_and_lookups_trim_ids() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let placeholders = ["false", "guest", "[object Object]", "0.0", "-0.0"];
    let body: Vec<_> = placeholders
        .iter()
        .enumerate()
        .map(|(i, id)| identify(&format!("p{i}"), "device-p", id, "2024-06-01T09:00:00Z"))
        .chain([identify(
            "t1",
            " device-t ",
            " user-t ",
            "2024-06-01T09:00:00Z",
        )])
        .collect();
    let reply = api.post_json("/events", &json!(body)).await;
    assert_eq!(reply.body["accepted"], 6, "{}", reply.body);
    let device = api.get("/api/device/device-p").await;
    assert_eq!(device.status, 200);
    assert_eq!(device.body["userId"], json!(null), "{}", device.body);
    let user = api.get("/api/user/%20user-t%20").await;
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.body["devices"], json!(["device-t"]));
    assert_eq!(api.get("/api/device/%09device-t").await.status, 200);
}
