//! Credit events in real-time mode, end to end: what the app sends to a
//! recorder playing Segment, summed per model and channel as a downstream
//! tool would (each messageId once, corrections included), equals
//! `/api/report` for every rule model, before and after a device is linked
//! late and a page arrives late.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{Client, identify, page, recorded_until, spawn_app, track};
use segment_client::recorder::{Recorder, Sums, sum_by, sums_agree};
use serde_json::{Value, json};
use sma_attribution::Model;

const EVENT: &str = "Conversion Attributed";
const PERIOD: &str = "from=2024-06-01&to=2024-07-01";

/// The properties summed per channel: `credit_<model>` and `value_<model>`
/// of every rule model.
fn summed() -> Vec<String> {
    Model::ALL
        .iter()
        .flat_map(|m| {
            [
                format!("credit_{}", m.as_str()),
                format!("value_{}", m.as_str()),
            ]
        })
        .collect()
}

fn event_sums(messages: &[Value]) -> Sums {
    sum_by(messages, EVENT, "channel", &summed())
}

/// The reports in the same shape: per channel, each model's credited
/// conversions as `credit_<model>` and value as `value_<model>`.
async fn report_sums(api: &Client) -> Sums {
    let mut sums = Sums::new();
    for model in Model::ALL.map(Model::as_str) {
        let report = api
            .get(&format!("/api/report?model={model}&{PERIOD}"))
            .await;
        assert_eq!(report.status, 200, "{}", report.body);
        for row in report.body["channels"].as_array().unwrap() {
            let channel = row["channel"].as_str().unwrap().to_owned();
            for (field, name) in [("conversions", "credit"), ("value", "value")] {
                sums.insert(
                    (channel.clone(), format!("{name}_{model}")),
                    row[field].as_f64().unwrap(),
                );
            }
        }
    }
    sums
}

fn agree(a: &Sums, b: &Sums) -> bool {
    sums_agree(a, b, 1e-6)
}

/// Waits until what was sent adds up to the reports, and answers it.
async fn sent_matches_reports(recorder: &Recorder, api: &Client, step: &str) -> Vec<Value> {
    let report = report_sums(api).await;
    let sent = recorded_until(recorder, 0, |m| agree(&event_sums(m), &report)).await;
    let sums = event_sums(&sent);
    assert!(
        agree(&sums, &report),
        "{step}: credit events sum to\n{sums:#?}\nbut the reports say\n{report:#?}"
    );
    sent
}

fn conversions_credited(messages: &[Value]) -> BTreeSet<String> {
    messages
        .iter()
        .filter(|m| m["event"] == EVENT)
        .map(|m| {
            m["properties"]["conversion_message_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn credit_events_sum_to_the_reports_through_a_late_link_and_a_late_page() {
    let recorder = Recorder::start().await.unwrap();
    let url = recorder.url();
    let server = spawn_app(&[
        ("SEGMENT_ENDPOINT", url.as_str()),
        ("ANALYTICS_WRITE_KEY", "wk-test"),
        ("REALTIME_FEED", "true"),
    ])
    .await;
    let api = server.client();
    api.post_json("/events", &json!([
        page("ad", "laptop", "2024-06-01T09:00:00Z", "https://acme.io/pricing?gclid=Cj0KCQ", "https://www.google.com/"),
        page("organic", "phone", "2024-06-03T20:00:00Z", "https://acme.io/", "https://www.google.com/search?q=acme"),
        page("mail", "laptop", "2024-06-05T08:00:00Z", "https://acme.io/?utm_source=newsletter&utm_medium=email&utm_campaign=june&utm_content=hero", ""),
        identify("who", "laptop", "user-1", "2024-06-05T08:01:00Z"),
        track("signup", "user-1", "Signed Up", "2024-06-05T08:10:00Z", 0.0),
        page("social", "laptop", "2024-06-08T10:00:00Z", "https://acme.io/blog", "https://www.linkedin.com/"),
        track("order-1", "user-1", "Order Completed", "2024-06-08T10:30:00Z", 120.0),
        page("again", "phone", "2024-06-10T12:00:00Z", "https://acme.io/", ""),
        track("order-2", "user-1", "Order Completed", "2024-06-12T09:00:00Z", 80.0),
    ]))
    .await;

    let sent = sent_matches_reports(&recorder, &api, "as delivered").await;
    assert_eq!(
        conversions_credited(&sent),
        BTreeSet::from(["signup".into(), "order-1".into(), "order-2".into()])
    );
    let first = sent
        .iter()
        .find(|m| m["event"] == EVENT && m["properties"]["conversion_message_id"] == "order-1")
        .unwrap();
    assert_eq!(first["userId"], "user-1");
    assert_eq!(first["anonymousId"], "laptop");
    assert_eq!(first["timestamp"], "2024-06-08T10:30:00Z");
    let p = &first["properties"];
    assert_eq!(
        (
            &p["conversion_event"],
            &p["conversion_value"],
            &p["correction"]
        ),
        (&json!("Order Completed"), &json!(120.0), &json!(false))
    );
    assert!(
        sent.iter()
            .all(|m| m["event"] != EVENT || m["properties"]["correction"] == false),
        "nothing to correct yet"
    );
    let email = sent
        .iter()
        .find(|m| m["event"] == EVENT && m["properties"]["channel"] == "Email")
        .unwrap();
    assert_eq!(email["properties"]["content"], "hero");
    assert_eq!(email["properties"]["campaign"], "june");
    assert_eq!(
        email["properties"]["touch_timestamp"],
        "2024-06-05T08:00:00.000Z"
    );

    // The phone joins the user: its touches now share every conversion's credit.
    let before = recorder.messages().len();
    api.post_json(
        "/events",
        &json!({"type": "alias", "messageId": "link", "previousId": "phone", "userId": "user-1",
                "timestamp": "2024-06-05T08:02:00Z"}),
    )
    .await;
    let sent = sent_matches_reports(&recorder, &api, "after the late link").await;
    let corrections: Vec<&Value> = sent[before..]
        .iter()
        .filter(|m| m["properties"]["correction"] == true)
        .collect();
    assert!(
        !corrections.is_empty(),
        "the superseded credits are taken back"
    );
    for correction in &corrections {
        let p = &correction["properties"];
        assert!(p["credit_linear"].as_f64().unwrap() <= 0.0, "{p}");
        assert!(p["value_linear"].as_f64().unwrap() <= 0.0, "{p}");
    }
    let report = api
        .get(&format!("/api/report?model=linear&{PERIOD}"))
        .await
        .body;
    assert!(
        report["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["channel"] == "Organic Search"),
        "the phone's organic touch is credited: {report}"
    );

    // A page that happened before the first order arrives now.
    api.post_json(
        "/events",
        &json!([page(
            "late",
            "laptop",
            "2024-06-07T15:00:00Z",
            "https://acme.io/",
            "https://blog.partner.io/post"
        )]),
    )
    .await;
    let sent = sent_matches_reports(&recorder, &api, "after the late page").await;
    assert!(
        sent.iter()
            .any(|m| m["event"] == EVENT && m["properties"]["channel"] == "Referral"),
        "the late page's touch is credited"
    );

    // Every id stands for one message: a re-sent state reuses its ids, a new
    // state never collides with an old one.
    let mut by_id: BTreeMap<&str, &Value> = BTreeMap::new();
    for m in &sent {
        let id = m["messageId"].as_str().unwrap();
        if let Some(earlier) = by_id.insert(id, m) {
            assert_eq!(earlier["properties"], m["properties"], "{id} reused");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conversions_endpoint_sends_the_users_credit_events() {
    let recorder = Recorder::start().await.unwrap();
    let url = recorder.url();
    let server = spawn_app(&[
        ("SEGMENT_ENDPOINT", url.as_str()),
        ("ANALYTICS_WRITE_KEY", "wk-test"),
    ])
    .await;
    let api = server.client();
    api.post_json(
        "/events",
        &json!([
            page(
                "ad",
                "laptop",
                "2024-06-01T09:00:00Z",
                "https://acme.io/pricing?gclid=Cj0KCQ",
                "https://www.google.com/"
            ),
            page(
                "mail",
                "laptop",
                "2024-06-05T08:00:00Z",
                "https://acme.io/?utm_source=newsletter&utm_medium=email",
                ""
            ),
            identify("who", "laptop", "user-1", "2024-06-05T08:01:00Z"),
            track(
                "order-1",
                "user-1",
                "Order Completed",
                "2024-06-05T08:10:00Z",
                120.0
            ),
        ]),
    )
    .await;

    let reply = api.get("/segment/conversions/user/user-1").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["sent"], 2, "one event per credited touch");
    let sent = recorder.messages();
    assert!(agree(&event_sums(&sent), &report_sums(&api).await));
    let missing = api.get("/segment/conversions/user/nobody").await;
    assert_eq!(missing.status, 404, "{}", missing.body);
}
