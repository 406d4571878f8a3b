//! Touches, conversions and every model, end to end through the HTTP API: two
//! devices of one user, a Google ad click, an organic search visit, an email visit
//! and a conversion with revenue.

use std::collections::HashMap;

use crate::common::{identify, page, spawn_app, track};
use serde_json::{Value, json};

const DAY_MS: f64 = 86_400_000.0;

fn journey() -> Value {
    json!([
        page(
            "ad",
            "laptop",
            "2024-06-01T09:00:00Z",
            "https://acme.io/pricing?gclid=Cj0KCQ",
            "https://www.google.com/"
        ),
        page(
            "nav",
            "laptop",
            "2024-06-01T09:05:00Z",
            "https://acme.io/features",
            "https://acme.io/pricing"
        ),
        page(
            "organic",
            "phone",
            "2024-06-03T20:00:00Z",
            "https://acme.io/",
            "https://www.google.com/search?q=acme+attribution"
        ),
        page(
            "mail",
            "laptop",
            "2024-06-05T08:00:00Z",
            "https://acme.io/?utm_source=newsletter&utm_medium=email&utm_campaign=june",
            ""
        ),
        identify("who", "laptop", "user-1", "2024-06-05T08:01:00Z"),
        track(
            "buy",
            "user-1",
            "Order Completed",
            "2024-06-05T08:10:00Z",
            120.0
        ),
    ])
}

fn credits(conversion: &Value, model: &str) -> Vec<f64> {
    let mut by_touch = HashMap::new();
    for c in conversion["credits"][model]
        .as_array()
        .unwrap_or_else(|| panic!("no {model} credits"))
    {
        *by_touch
            .entry(c["touch"].as_u64().unwrap() as usize)
            .or_insert(0.0) += c["credit"].as_f64().unwrap();
    }
    (0..3)
        .map(|i| by_touch.get(&i).copied().unwrap_or(0.0))
        .collect()
}

fn assert_close(actual: &[f64], expected: &[f64], model: &str) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-9, "{model}: {actual:?} != {expected:?}");
    }
}

#[tokio::test]
async fn two_devices_three_channels_one_conversion_under_every_model() {
    let server = spawn_app(&[("INTERNAL_DOMAINS", "acme.io")]).await;
    let api = server.client();
    assert_eq!(
        api.post_json("/events", &journey()).await.body["accepted"],
        6
    );
    // The phone is linked only after the conversion: linking is retroactive.
    let alias = json!({"type": "alias", "messageId": "link-phone", "previousId": "phone", "userId": "user-1", "timestamp": "2024-06-06T10:00:00Z"});
    api.post_json("/events", &alias).await;

    let user = api.get("/api/user/user-1").await.body;
    let touches = user["touches"].as_array().unwrap();
    let summary: Vec<_> = touches
        .iter()
        .map(|t| {
            (
                t["device"].as_str().unwrap(),
                t["channel"].as_str().unwrap(),
                t["source"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("laptop", "Paid Search", "google"),
            ("phone", "Organic Search", "google"),
            ("laptop", "Email", "newsletter")
        ],
        "internal navigation is no touch"
    );
    assert_eq!(touches[0]["click_id"], "gclid");
    assert_eq!(
        touches[0]["landing_page"],
        "https://acme.io/pricing?gclid=Cj0KCQ"
    );
    assert_eq!(touches[1]["term"], "acme attribution");
    assert_eq!(
        touches[1]["referrer"],
        "https://www.google.com/search?q=acme+attribution"
    );
    assert_eq!(
        (
            touches[2]["medium"].as_str(),
            touches[2]["campaign"].as_str()
        ),
        (Some("email"), Some("june"))
    );
    assert_eq!(user["first_touch"]["channel"], "Paid Search");
    assert_eq!(user["last_touch"]["channel"], "Email");
    assert_eq!(user["last_non_direct_touch"]["channel"], "Email");

    let conversions = user["conversions"].as_array().unwrap();
    assert_eq!(conversions.len(), 1);
    let buy = &conversions[0];
    assert_eq!(
        (buy["event"].as_str(), buy["value"].as_f64()),
        (Some("Order Completed"), Some(120.0))
    );
    let third = 1.0 / 3.0;
    assert_close(&credits(buy, "first"), &[1.0, 0.0, 0.0], "first");
    assert_close(&credits(buy, "last"), &[0.0, 0.0, 1.0], "last");
    assert_close(
        &credits(buy, "last_non_direct"),
        &[0.0, 0.0, 1.0],
        "last_non_direct",
    );
    assert_close(&credits(buy, "linear"), &[third, third, third], "linear");
    assert_close(&credits(buy, "position"), &[0.4, 0.2, 0.4], "position");
    assert_close(&credits(buy, "j_shaped"), &[0.2, 0.2, 0.6], "j_shaped");
    assert_close(&credits(buy, "inverse_j"), &[0.6, 0.2, 0.2], "inverse_j");
    assert_close(
        &credits(buy, "participation"),
        &[1.0, 1.0, 1.0],
        "participation",
    );
    assert_close(
        &credits(buy, "w_shaped"),
        &[0.4, 0.2, 0.4],
        "w_shaped without milestones is U",
    );
    // Time decay: weight 2^(-age / 7 days), normalised.
    let conversion_ms = 1_717_575_000_000.0; // 2024-06-05T08:10:00Z
    let touch_ms = [
        1_717_232_400_000.0,
        1_717_444_800_000.0,
        1_717_574_400_000.0,
    ];
    let weights: Vec<f64> = touch_ms
        .iter()
        .map(|t| 2f64.powf(-(conversion_ms - t) / (7.0 * DAY_MS)))
        .collect();
    let sum: f64 = weights.iter().sum();
    assert_close(
        &credits(buy, "time_decay"),
        &weights.iter().map(|w| w / sum).collect::<Vec<_>>(),
        "time_decay",
    );

    let phone = api.get("/api/device/phone").await.body;
    assert_eq!(phone["userId"], "user-1");
    assert_eq!(phone["touches"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reports_credit_channels_under_any_model() {
    let server = spawn_app(&[("INTERNAL_DOMAINS", "acme.io")]).await;
    let api = server.client();
    api.post_json("/events", &journey()).await;
    api.post_json(
        "/events",
        &json!({"type": "alias", "messageId": "l", "previousId": "phone", "userId": "user-1"}),
    )
    .await;

    let linear = api
        .get("/api/report?model=linear&from=2024-06-01&to=2024-07-01")
        .await;
    assert_eq!(linear.status, 200, "{}", linear.body);
    let rows: HashMap<String, (f64, f64)> = linear.body["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["channel"].as_str().unwrap().to_owned(),
                (
                    r["conversions"].as_f64().unwrap(),
                    r["value"].as_f64().unwrap(),
                ),
            )
        })
        .collect();
    for channel in ["Paid Search", "Organic Search", "Email"] {
        let (conversions, value) = rows[channel];
        assert!(
            (conversions - 1.0 / 3.0).abs() < 1e-9 && (value - 40.0).abs() < 1e-9,
            "{channel}: {:?}",
            rows[channel]
        );
    }
    assert!((linear.body["total"]["value"].as_f64().unwrap() - 120.0).abs() < 1e-9);

    let later = api.get("/api/report?model=first&from=2024-07-01").await;
    assert_eq!(
        later.body["total"]["conversions"], 0.0,
        "the conversion is outside the period"
    );

    for model in [
        "markov",
        "markov&order=2",
        "markov&order=4&markov_value=conversion_share",
        "shapley",
        "shapley_simple",
    ] {
        let report = api.get(&format!("/api/report?model={model}")).await;
        assert_eq!(report.status, 200, "{}", report.body);
        let total = report.body["total"]["conversions"].as_f64().unwrap();
        assert!((total - 1.0).abs() < 1e-9, "{model}: {}", report.body);
        // One journey: every resample is the journey or nothing, so the intervals
        // are as wide as the data is thin.
        for row in report.body["channels"].as_array().unwrap() {
            let (low, high) = (
                row["interval"]["low"].as_f64(),
                row["interval"]["high"].as_f64(),
            );
            assert!(low.unwrap() <= high.unwrap(), "{model}: {row}");
            assert!(row["low_data"].is_boolean(), "{model}: {row}");
        }
    }
    let markov = api.get("/api/report?model=markov&order=3").await.body;
    assert_eq!(
        (markov["order"].as_u64(), markov["markov_value"].as_str()),
        (Some(3), Some("removal_effect"))
    );
    let rule = api.get("/api/report?model=linear").await.body;
    let row = &rule["channels"][0];
    assert!(
        row["share"].is_number() && row.get("interval").is_none() && row.get("low_data").is_none(),
        "{rule}"
    );
    assert!(rule.get("order").is_none(), "{rule}");
    for bad in [
        "model=linear&order=2",
        "model=markov&order=5",
        "model=markov&markov_value=x",
    ] {
        let answer = api.get(&format!("/api/report?{bad}")).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
    }
    let bad = api.get("/api/report?model=magic").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["error"].as_str().unwrap().contains("magic"));
    let backwards = api
        .get("/api/report?model=first&from=2024-07-01&to=2024-06-01")
        .await;
    assert_eq!(backwards.status, 400);
}
