//! The capacity one page, one identify and one conversion lookup consume,
//! metered as the adapter runs ([`Meter`]).

use serde_json::json;
use sma_spec::Message;
use sma_store::testing as contract;
use sma_store::{DeviceChange, EventStore, IdentityStore, Json, TouchRecord, TouchStore};
use sma_store_dynamodb::DynamoStore;

use super::metering::{Meter, Usage};
use super::store_with;

/// A page as analytics.js sends it through a Webhooks destination (about 1.2 KB).
fn realistic_page(id: &str, device: &str, user: Option<&str>, minute: u32) -> Message {
    let mut page = json!({
        "type": "page", "messageId": id, "anonymousId": device,
        "timestamp": contract::at(minute).to_rfc3339(),
        "receivedAt": contract::at(minute).to_rfc3339(),
        "sentAt": contract::at(minute).to_rfc3339(),
        "originalTimestamp": contract::at(minute).to_rfc3339(),
        "channel": "client", "name": "Pricing", "version": 2,
        "properties": {"path": "/pricing", "referrer": "https://www.google.com/", "search": "?utm_source=google&utm_medium=cpc&utm_campaign=spring",
                       "title": "Pricing - Example", "url": "https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring"},
        "context": {
            "ip": "203.0.113.7", "locale": "en-US", "timezone": "Europe/Berlin",
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            "userAgentData": {"brands": [{"brand": "Chromium", "version": "126"}], "mobile": false, "platform": "macOS"},
            "campaign": {"source": "google", "medium": "cpc", "name": "spring"},
            "page": {"path": "/pricing", "referrer": "https://www.google.com/", "search": "?utm_source=google&utm_medium=cpc&utm_campaign=spring",
                     "title": "Pricing - Example", "url": "https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring"}
        },
        "integrations": {}, "writeKey": "abcdefghijklmnopqrstuvwxyz012345"
    });
    if let Some(user) = user {
        page["userId"] = json!(user);
    }
    contract::message(page)
}

/// A touch as the attribution crate derives it (about 0.5 KB stored).
fn realistic_touch(device: &str, page: &Message) -> TouchRecord {
    TouchRecord {
        device: device.into(),
        timestamp: page.timestamp,
        message_id: page.message_id.clone(),
        touch: json!({
            "timestamp": page.timestamp, "device": device, "message_id": page.message_id,
            "landing_page": page.url, "referrer": page.referrer,
            "source": {"channel": "Paid Search", "source": "google", "medium": "cpc", "campaign": "spring",
                       "term": null, "content": null, "referrer_host": "www.google.com",
                       "click_id": null, "rule": "utm_medium cpc on a search engine"}
        })
        .into(),
    }
}

/// A session state as the pipeline keeps it (about 0.3 KB stored).
fn realistic_state(page: &Message) -> Json {
    json!({
        "last": [page.timestamp.timestamp_millis(), page.message_id],
        "session_last": page.timestamp.timestamp_millis(),
        "current": {"channel": "Paid Search", "source": "google", "medium": "cpc", "campaign": "spring",
                    "term": null, "content": null, "referrer_host": "www.google.com",
                    "click_id": null, "rule": "utm_medium cpc on a search engine"},
        "last_touch": page.timestamp.timestamp_millis()
    })
    .into()
}

/// Moves a device's derivation on by one page, as the pipeline does: read
/// its state, commit the new one over it with the page's touch, if any.
async fn derive(store: &DynamoStore, page: &Message, starts_touch: bool) {
    let device = page.anonymous_id.clone().unwrap();
    let state = store
        .device_states(std::slice::from_ref(&device))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let change = DeviceChange {
        device: device.clone(),
        expected: state.map(|s| s.version),
        state: realistic_state(page),
        put: starts_touch
            .then(|| realistic_touch(&device, page))
            .into_iter()
            .collect(),
        remove: Vec::new(),
    };
    assert_eq!(store.commit_devices(&[change]).await.unwrap(), [true]);
}

/// Runs `step` and answers the capacity it consumed.
pub async fn metered<F: Future<Output = ()>>(meter: &Meter, step: F) -> Usage {
    meter.take();
    step.await;
    meter.take()
}

/// The pipeline of one page, metered: store it, link its device (an identified
/// page re-asserts its link), move the device's derivation on (with a new touch
/// when the page starts one).
async fn page_pipeline(
    store: &DynamoStore,
    meter: &Meter,
    page: Message,
    starts_touch: bool,
) -> Usage {
    metered(meter, async {
        assert_eq!(
            store.put_events(std::slice::from_ref(&page)).await.unwrap(),
            [true]
        );
        if let Some(link) = page.identity_link() {
            store
                .link(&link, page.timestamp, &page.message_id)
                .await
                .unwrap();
        }
        derive(store, &page, starts_touch).await;
    })
    .await
}

#[tokio::test]
async fn dynamodb_capacity_of_a_page_event_an_identify_and_a_conversion_lookup() {
    let meter = Meter::default();
    let store = store_with(Some(&meter)).await;
    let link = |device: &str| sma_spec::IdentityLink {
        anonymous_id: device.into(),
        user_id: "u1".into(),
    };
    // History of u1: two devices with nine pages each, one touch each, and an
    // anonymous device; this also enters the day and the devices in the
    // activity index.
    for device in ["a1", "a2", "a3"] {
        let pages: Vec<Message> = (1..10)
            .map(|n| realistic_page(&format!("{device}-{n}"), device, None, n))
            .collect();
        store.put_events(&pages).await.unwrap();
        derive(&store, &pages[0], true).await;
    }
    store
        .link(&link("a2"), contract::at(12), "i0")
        .await
        .unwrap();

    let identify = contract::message(json!({
        "type": "identify", "messageId": "i1", "anonymousId": "a1", "userId": "u1",
        "timestamp": contract::at(20).to_rfc3339(), "traits": {"email": "ada@example.com", "plan": "pro"},
        "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}}
    }));
    let identify_cost = metered(&meter, async {
        store
            .put_events(std::slice::from_ref(&identify))
            .await
            .unwrap();
        let outcome = store
            .link(&link("a1"), identify.timestamp, "i1")
            .await
            .unwrap();
        assert_eq!(outcome, sma_store::LinkOutcome::Linked);
    })
    .await;

    let anonymous = realistic_page("p1", "a3", None, 30);
    let anonymous_touch = page_pipeline(&store, &meter, anonymous, true).await;
    let identified = realistic_page("p2", "a1", Some("u1"), 31);
    let identified_touch = page_pipeline(&store, &meter, identified, true).await;
    let identified = realistic_page("p3", "a1", Some("u1"), 32);
    let identified_plain = page_pipeline(&store, &meter, identified, false).await;

    let lookup_cost = metered(&meter, async {
        let devices = store.devices_of("u1").await.unwrap();
        assert_eq!(devices, ["a1", "a2"]);
        let events = store.user_events("u1", &devices).await.unwrap();
        assert_eq!(events.len(), 9 + 9 + 3);
        for device in &devices {
            assert!(!store.device_touches(device).await.unwrap().is_empty());
        }
    })
    .await;

    let size = realistic_page("x", "a1", Some("u1"), 1).raw.len();
    println!(
        "capacity units, measured with ReturnConsumedCapacity=TOTAL (page JSON {size} bytes):"
    );
    for (what, usage) in [
        ("identify (first link of a device)", identify_cost),
        ("page, anonymous device, starts a touch", anonymous_touch),
        ("page, identified, starts a touch", identified_touch),
        ("page, identified, no new touch", identified_plain),
        (
            "conversion lookup (2 devices, 21 events, 3 touches)",
            lookup_cost,
        ),
    ] {
        println!("  {what:<52} {usage}");
    }
    // The billed figures docs/dynamodb.md states, as upper bounds.
    assert!(identify_cost.within(10.0, 1.0), "{identify_cost}");
    assert!(anonymous_touch.within(12.0, 1.0), "{anonymous_touch}");
    assert!(identified_touch.within(13.0, 2.0), "{identified_touch}");
    assert!(identified_plain.within(8.0, 2.0), "{identified_plain}");
    assert!(lookup_cost.within(0.0, 6.0), "{lookup_cost}");
}
