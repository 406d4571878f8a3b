//! `POST /events` and the Tracking API paths.

use crate::common::{page, spawn_app};
use serde_json::json;

const T0: &str = "2024-06-01T10:00:00.000Z";

fn landing(id: &str) -> serde_json::Value {
    page(
        id,
        "anon-1",
        T0,
        "https://acme.io/?utm_source=newsletter&utm_medium=email",
        "",
    )
}

#[tokio::test]
async fn a_classic_webhook_message_is_stored_once_however_often_it_is_retried() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let first = api.post_json("/events", &landing("m-1")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        first.body,
        json!({
            "accepted": 1, "duplicates": 0, "deletions": 0,
            "erased": {"events": 0, "claims": 0, "memberships": 0, "touches": 0, "markers": 0,
                       "ledger": 0},
            "rejected": []
        })
    );
    for _ in 0..3 {
        let retry = api.post_json("/events", &landing("m-1")).await;
        assert_eq!(retry.status, 200);
        assert_eq!(retry.body["accepted"], 0);
        assert_eq!(retry.body["duplicates"], 1);
    }
    let device = api.get("/api/device/anon-1").await;
    assert_eq!(device.status, 200);
    let events = device.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "stored once");
    assert_eq!(events[0]["messageId"], "m-1");
    assert_eq!(events[0]["type"], "page");
    assert_eq!(
        events[0]["url"],
        "https://acme.io/?utm_source=newsletter&utm_medium=email"
    );
    assert_eq!(events[0]["timestamp"], T0);
    assert_eq!(device.body["userId"], json!(null));
}

#[tokio::test]
async fn all_three_body_forms_are_accepted() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let single = api.post_json("/events", &landing("single")).await;
    let array = api
        .post_json("/events", &json!([landing("array-1"), landing("array-2")]))
        .await;
    let batch = api
        .post_json(
            "/events",
            &json!({"batch": [landing("batch-1")], "sentAt": T0}),
        )
        .await;
    assert_eq!((single.status, array.status, batch.status), (200, 200, 200));
    assert_eq!(
        (
            single.body["accepted"].as_u64(),
            array.body["accepted"].as_u64(),
            batch.body["accepted"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    let events = api.get("/api/device/anon-1").await.body["events"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(events, 4);
}

#[tokio::test]
async fn a_partly_bad_batch_stores_the_good_messages_and_names_the_bad() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let mut no_id = landing("x");
    no_id.as_object_mut().unwrap().remove("messageId");
    let mut oversized = landing("too-big");
    oversized["properties"]["blob"] = json!("x".repeat(40_000));
    let body = json!({"batch": [
        landing("good-1"),
        no_id,
        {"type": "pageview", "messageId": "weird", "anonymousId": "anon-1"},
        oversized,
        landing("good-2"),
        {"type": "delete", "userId": "u-gone"},
        landing("good-1"),
    ]});
    let reply = api.post_json("/events", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["accepted"], 2);
    assert_eq!(
        reply.body["duplicates"], 1,
        "the same messageId twice in one body"
    );
    assert_eq!(reply.body["deletions"], 1, "delete is run");
    let rejected = reply.body["rejected"].as_array().unwrap();
    let summary: Vec<_> = rejected
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["messageId"].clone(),
                r["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 3);
    assert_eq!((summary[0].0, &summary[0].1), (1, &json!(null)));
    assert!(summary[0].2.contains("messageId"), "{}", summary[0].2);
    assert_eq!((summary[1].0, &summary[1].1), (2, &json!("weird")));
    assert!(summary[1].2.contains("unknown type `pageview`"));
    assert_eq!((summary[2].0, &summary[2].1), (3, &json!("too-big")));
    assert!(summary[2].2.contains("32768"));
    let events = api.get("/api/device/anon-1").await.body["events"].clone();
    let ids: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["messageId"].clone())
        .collect();
    assert_eq!(ids, [json!("good-1"), json!("good-2")]);
}

#[tokio::test]
async fn unusable_bodies_are_4xx_with_a_json_error_and_store_nothing() {
    let server = spawn_app(&[("MAX_BODY_BYTES", "65536")]).await;
    let api = server.client();
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{\"type\": \"page\",".to_vec(), 400, "not valid JSON"),
        (b"".to_vec(), 400, "empty"),
        (b"42".to_vec(), 400, "must be a message object"),
        (b"{\"batch\": 7}".to_vec(), 400, "`batch` must be an array"),
        (
            json!({"type": "page", "anonymousId": "anon-1"})
                .to_string()
                .into_bytes(),
            400,
            "messageId",
        ),
        (
            json!([{"type": "track", "messageId": "t", "anonymousId": "anon-1"}])
                .to_string()
                .into_bytes(),
            400,
            "without `event`",
        ),
        (vec![b' '; 70_000], 413, "larger than the limit"),
    ];
    for (body, status, needle) in cases {
        let reply = api.post("/events", body).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        let error = reply.body["error"].as_str().unwrap();
        assert!(error.contains(needle), "{error:?} should name {needle:?}");
    }
    assert_eq!(
        api.get("/api/device/anon-1").await.status,
        404,
        "nothing was stored"
    );
}

#[tokio::test]
async fn the_tracking_api_paths_accept_what_segment_libraries_send() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let t =
        |id: &str| json!({"messageId": id, "userId": "u-7", "event": "Signed Up", "timestamp": T0});
    assert_eq!(
        api.post_json("/v1/track", &t("via-track")).await.body["accepted"],
        1
    );
    assert_eq!(
        api.post_json("/v1/t", &t("via-t")).await.body["accepted"],
        1
    );
    let p = json!({"messageId": "via-page", "anonymousId": "a-7", "userId": "u-7", "properties": {"url": "https://acme.io/"}});
    assert_eq!(api.post_json("/v1/page", &p).await.body["accepted"], 1);
    let batch = json!({"batch": [
        {"type": "identify", "messageId": "b-1", "anonymousId": "a-8", "userId": "u-7", "traits": {}},
        {"type": "alias", "messageId": "b-2", "previousId": "a-9", "userId": "u-7"},
        {"type": "group", "messageId": "b-3", "userId": "u-7", "groupId": "acme"},
        {"type": "screen", "messageId": "b-4", "anonymousId": "a-8", "name": "Home"}
    ], "sentAt": T0});
    let reply = api.post_json("/v1/batch", &batch).await;
    assert_eq!(reply.body["accepted"], 4, "{}", reply.body);
    let user = api.get("/api/user/u-7").await;
    assert_eq!(user.body["devices"], json!(["a-7", "a-8", "a-9"]));
    assert_eq!(user.body["events"].as_array().unwrap().len(), 7);
    let unknown = api.post_json("/v1/explode", &t("x")).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let server = spawn_app(&[]).await;
    let api = server.client();
    let health = api.get("/health").await;
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (200, Some("ok"))
    );
    let missing = api.get("/nope").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body["error"].as_str().unwrap().contains("/nope"));
    let wrong = api.get("/events").await;
    assert_eq!(wrong.status, 405);
    assert_eq!(api.get("/api/user/nobody").await.status, 404);
    let none = api.get("/api/device/nobody").await;
    assert_eq!(none.status, 404);
    assert!(none.body["error"].as_str().unwrap().contains("nobody"));
}

/// Page views of bots (by `context.userAgent`) and from a listed spam
/// referrer are stored but start no touch; with `BOT_FILTER=false` a bot's
/// view is a visit like any other.
#[tokio::test]
async fn bots_and_spam_referrers_start_no_touch() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("spammers.txt");
    std::fs::write(&list, "# spam\nbest-seo-offer.xyz\n").unwrap();
    let views = |agents: &[(&str, &str)]| {
        let mut views: Vec<serde_json::Value> = agents
            .iter()
            .map(|(device, agent)| {
                let mut view = page(
                    device,
                    device,
                    T0,
                    "https://acme.io/",
                    "https://www.google.com/",
                );
                view["context"]["userAgent"] = json!(agent);
                view
            })
            .collect();
        views.push(page(
            "spam",
            "spam",
            T0,
            "https://acme.io/",
            "https://www.best-seo-offer.xyz/",
        ));
        json!(views)
    };
    let agents = [
        (
            "googlebot",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ),
        (
            "headless",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        ),
        (
            "person",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
        ),
    ];
    let touches = |body: &serde_json::Value| body["touches"].as_array().map_or(0, Vec::len);

    let path = list.to_str().unwrap();
    let filtered = spawn_app(&[("REFERRER_SPAM_LIST", path)]).await;
    let api = filtered.client();
    assert_eq!(
        api.post_json("/events", &views(&agents)).await.body["accepted"],
        4
    );
    for (device, expected) in [
        ("googlebot", 0),
        ("headless", 0),
        ("spam", 0),
        ("person", 1),
    ] {
        let answer = api.get(&format!("/api/device/{device}")).await;
        assert_eq!(answer.status, 200, "{device}: stored all the same");
        assert_eq!(touches(&answer.body), expected, "{device}: {}", answer.body);
    }
    // Counted per day and reason once, however often delivered.
    api.post_json("/events", &views(&agents)).await;
    let report = api.get("/api/report?from=2024-06-01&to=2024-06-02").await;
    assert_eq!(
        report.body["screened"],
        json!({"bot:crawler": 1, "bot:headless": 1, "referrer_spam": 1}),
        "{}",
        report.body
    );
    let later = api.get("/api/report?from=2024-06-02&to=2024-06-03").await;
    assert_eq!(later.body["screened"], json!({}));

    let unfiltered = spawn_app(&[("BOT_FILTER", "false")]).await;
    let api = unfiltered.client();
    api.post_json("/events", &views(&agents)).await;
    for device in ["googlebot", "headless", "spam", "person"] {
        let answer = api.get(&format!("/api/device/{device}")).await;
        assert_eq!(touches(&answer.body), 1, "{device}: {}", answer.body);
    }
}
