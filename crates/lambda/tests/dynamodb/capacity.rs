//! What each kind of event costs in DynamoDB write units, end to end through
//! the AWS pipeline (intake, then the stream consumers), as DynamoDB Local
//! reports it (ReturnConsumedCapacity). The messages have the size of real
//! analytics.js calls: an item is billed by the kilobyte.

use crate::support::fresh_app;
use serde_json::{Value, json};
use sma_lambda::LambdaApp;

/// A page view as analytics.js sends it, about 1.2 KB of JSON.
fn page(id: &str, device: &str, at: &str, url: &str, referrer: &str) -> Value {
    json!({
        "type": "page", "messageId": id, "anonymousId": device, "timestamp": at,
        "sentAt": at, "originalTimestamp": at, "receivedAt": at, "channel": "client",
        "name": "Pricing", "integrations": {}, "userId": null, "version": 2,
        "properties": {"path": "/pricing", "referrer": referrer, "search": "",
                       "title": "Pricing — Acme, the platform for teams", "url": url},
        "context": {
            "ip": "203.0.113.7", "locale": "en-US", "timezone": "Europe/Berlin",
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "page": {"path": "/pricing", "referrer": referrer, "search": "",
                     "title": "Pricing — Acme, the platform for teams", "url": url},
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "userAgentData": {"brands": [{"brand": "Google Chrome", "version": "131"},
                                         {"brand": "Chromium", "version": "131"}],
                              "mobile": false, "platform": "macOS"}
        }
    })
}

fn track(id: &str, device: &str, user: Option<&str>, event: &str, at: &str) -> Value {
    json!({
        "type": "track", "messageId": id, "anonymousId": device, "userId": user,
        "event": event, "timestamp": at, "sentAt": at, "receivedAt": at,
        "properties": {"plan": "team", "revenue": 490, "currency": "USD"},
        "context": {"ip": "203.0.113.7", "locale": "en-US",
                    "library": {"name": "analytics.js", "version": "next-1.70.0"},
                    "page": {"path": "/signup", "url": "https://acme.io/signup"}}
    })
}

fn identify(id: &str, device: &str, user: &str, at: &str) -> Value {
    json!({
        "type": "identify", "messageId": id, "anonymousId": device, "userId": user,
        "timestamp": at, "sentAt": at, "receivedAt": at,
        "traits": {"email": "ada@example.com", "name": "Ada Lovelace", "plan": "team"},
        "context": {"ip": "203.0.113.7", "locale": "en-US",
                    "library": {"name": "analytics.js", "version": "next-1.70.0"}}
    })
}

/// The write units one message costs: stored by intake, then through both
/// stream consumers (each takes only what its filter passes, as on AWS).
async fn units_of(app: &LambdaApp, message: Value) -> f64 {
    let before = app.store.write_units();
    let body = message.to_string();
    let summary = app.intake(body.as_bytes(), None).await.unwrap();
    assert_eq!(summary.accepted, 1, "{summary:?}");
    // What the stream hands the consumers: the stored event.
    let (device, id) = (
        message["anonymousId"].as_str().unwrap(),
        message["messageId"].as_str().unwrap(),
    );
    let messages: Vec<sma_spec::Message> = {
        use sma_store::EventStore;
        let stored = app.store.device_events(device).await.unwrap();
        stored.into_iter().filter(|m| m.message_id == id).collect()
    };
    if messages[0].identity_link().is_some() || messages[0].message_type.as_str() == "identify" {
        app.link_messages(&messages).await.unwrap();
    }
    let stored = app.store.write_units() - before;
    app.derive_messages(&messages).await.unwrap();
    println!(
        "  {id}: intake {stored}, total {}",
        app.store.write_units() - before
    );
    app.store.write_units() - before
}

#[tokio::test]
async fn dynamodb_write_units_per_event_stay_within_the_stated_budget() {
    let app = fresh_app(&[("CONVERSION_EVENTS", "Signed Up")]).await;
    // The day's first event also registers the day and the device's activity.
    let first = units_of(
        &app,
        page(
            "p0",
            "d0",
            "2024-05-01T09:00:00.000Z",
            "https://acme.io/pricing",
            "https://www.google.com/",
        ),
    )
    .await;
    let touch = units_of(
        &app,
        page(
            "p1",
            "d1",
            "2024-05-01T10:00:00.000Z",
            "https://acme.io/pricing?utm_source=newsletter&utm_medium=email",
            "",
        ),
    )
    .await;
    let view = units_of(
        &app,
        page(
            "p2",
            "d1",
            "2024-05-01T10:01:00.000Z",
            "https://acme.io/pricing",
            "",
        ),
    )
    .await;
    let event = units_of(
        &app,
        track(
            "t1",
            "d1",
            None,
            "Pricing Viewed",
            "2024-05-01T10:02:00.000Z",
        ),
    )
    .await;
    let link = units_of(&app, identify("i1", "d1", "u1", "2024-05-01T10:03:00.000Z")).await;
    let conversion = units_of(
        &app,
        track(
            "c1",
            "d1",
            Some("u1"),
            "Signed Up",
            "2024-05-01T10:04:00.000Z",
        ),
    )
    .await;
    let again = units_of(
        &app,
        page(
            "p3",
            "d1",
            "2024-05-01T10:05:00.000Z",
            "https://acme.io/pricing",
            "",
        ),
    )
    .await;
    println!(
        "write units: first event of a day {first}, page starting a touch {touch}, \
         page {view}, track {event}, identify {link}, conversion {conversion}, \
         page after the conversion {again}"
    );
    // The budget docs/dynamodb.md states; every figure above is printed there.
    assert!(view <= 3.0, "a page view costs {view} write units");
    assert!(event <= 2.0, "a track costs {event} write units");
    assert!(again <= 3.0, "a page view costs {again} write units");
}
