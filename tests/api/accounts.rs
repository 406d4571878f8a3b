//! Accounts end to end through the HTTP API: colleagues' `group` calls make
//! them members of one account, whose journey is every touch of every device
//! of every member, and whose deal (an account conversion sent by another
//! member) is credited over all of them.

use crate::common::{self, identify, page, spawn_app, track};
use serde_json::{Value, json};

fn group(id: &str, user: &str, account: &str, at: &str) -> Value {
    json!({"type": "group", "messageId": id, "userId": user, "groupId": account,
           "timestamp": at, "traits": {"name": "Acme Inc", "plan": "enterprise"}})
}

fn deal(id: &str, user: &str, at: &str, context_group: Option<&str>) -> Value {
    let mut deal = json!({"type": "track", "messageId": id, "userId": user, "event": "Deal Won",
                          "timestamp": at, "properties": {"amount": 12000}});
    if let Some(account) = context_group {
        deal["context"] = json!({"groupId": account});
    }
    deal
}

/// Three colleagues on four devices: Ada (laptop and phone) came from the
/// newsletter and from search, Bob from LinkedIn, Cy from a paid ad.
fn history() -> Value {
    json!([
        page(
            "ada-1",
            "ada-laptop",
            "2024-06-01T09:00:00Z",
            "https://acme.io/?utm_source=newsletter&utm_medium=email",
            ""
        ),
        page(
            "ada-2",
            "ada-phone",
            "2024-06-03T09:00:00Z",
            "https://acme.io/",
            "https://www.google.com/"
        ),
        page(
            "bob-1",
            "bob-laptop",
            "2024-06-05T09:00:00Z",
            "https://acme.io/",
            "https://www.linkedin.com/"
        ),
        page(
            "cy-1",
            "cy-laptop",
            "2024-06-07T09:00:00Z",
            "https://acme.io/?utm_source=google&utm_medium=cpc&gclid=x1",
            "https://www.google.com/"
        ),
        identify("ada-i1", "ada-laptop", "ada", "2024-06-01T09:05:00Z"),
        identify("ada-i2", "ada-phone", "ada", "2024-06-03T09:05:00Z"),
        identify("bob-i1", "bob-laptop", "bob", "2024-06-05T09:05:00Z"),
        identify("cy-i1", "cy-laptop", "cy", "2024-06-07T09:05:00Z"),
        group("ada-g", "ada", "acme", "2024-06-01T09:06:00Z"),
        group("bob-g", "bob", "acme", "2024-06-05T09:06:00Z"),
        group("cy-g", "cy", "acme", "2024-06-07T09:06:00Z"),
        // Placeholders never join.
        group("null-g", "ada", "null", "2024-06-07T09:07:00Z"),
        track("ada-t", "ada", "Signed Up", "2024-06-03T09:10:00Z", 0.0),
        // Bob closes the deal; it names the account in its context.
        deal("deal-1", "bob", "2024-06-20T12:00:00Z", Some("acme")),
    ])
}

fn channels(touches: &Value) -> Vec<&str> {
    touches
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["channel"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_accounts_deal_is_credited_over_every_members_touches() {
    let server = spawn_app(&[("ACCOUNT_CONVERSION_EVENTS", "Deal Won")]).await;
    let api = server.client();
    let stored = api.post_json("/events", &history()).await;
    assert_eq!(stored.body["accepted"], 14, "{}", stored.body);

    let account = api.get("/api/account/acme").await;
    assert_eq!(account.status, 200, "{}", account.body);
    let body = &account.body;
    let members: Vec<&str> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["ada", "bob", "cy"]);
    assert_eq!(
        body["members"][0]["devices"],
        json!(["ada-laptop", "ada-phone"])
    );
    assert_eq!(body["members"][0]["joinedAt"], "2024-06-01T09:06:00.000Z");
    assert_eq!(
        body["devices"],
        json!(["ada-laptop", "ada-phone", "bob-laptop", "cy-laptop"])
    );
    assert_eq!(
        channels(&body["touches"]),
        ["Email", "Organic Search", "Organic Social", "Paid Search"]
    );
    assert_eq!(body["first_touch"]["channel"], "Email");
    let conversions = body["conversions"].as_array().unwrap();
    let events: Vec<&str> = conversions
        .iter()
        .map(|c| c["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["Signed Up", "Deal Won"]);
    let deal = &conversions[1];
    assert_eq!(deal["value"], 12000.0);
    let linear: Vec<(u64, f64)> = deal["credits"]["linear"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["touch"].as_u64().unwrap(), c["credit"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        linear,
        [(0, 0.25), (1, 0.25), (2, 0.25), (3, 0.25)],
        "every member's touch"
    );
    assert_eq!(
        deal["credits"]["first"][0]["touch"], 0,
        "Ada's newsletter visit"
    );

    assert_eq!(
        api.get("/api/account/null").await.status,
        404,
        "placeholders never join"
    );
    assert_eq!(api.get("/api/account/globex").await.status, 404);
    let ada = api.get("/api/user/ada").await.body;
    let ada_events: Vec<&str> = ada["conversions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        ada_events,
        ["Signed Up"],
        "the deal is the account's, not a user's"
    );

    // What the newsletter and the ads cost: the deal pays for them. Under
    // linear each of the four touches has a quarter of the 12,000 deal, and
    // the newsletter half of Ada's sign-up (worth nothing) too.
    let spend = json!([
        {"date": "2024-06-01", "channel": "Email", "source": "newsletter", "medium": "email",
         "campaign": "", "cost": 300, "currency": "USD"},
        {"date": "2024-06-07", "channel": "Paid Search", "source": "google", "medium": "cpc",
         "campaign": "", "cost": 1200, "currency": "USD"},
    ]);
    let stored = api.post_json("/api/spend", &spend).await;
    assert_eq!(stored.status, 200, "{}", stored.body);
    let report = api
        .get("/api/report?model=linear&from=2024-06-01&to=2024-07-01")
        .await
        .body;
    let row = |channel: &str| {
        report["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["channel"] == channel)
            .unwrap_or_else(|| panic!("no {channel} in {report}"))
            .clone()
    };
    let (email, paid) = (row("Email"), row("Paid Search"));
    assert_eq!(
        (&email["value"], &email["conversions"]),
        (&json!(3000.0), &json!(0.75))
    );
    assert_eq!(
        (&email["roas"], &email["cac"]),
        (&json!(10.0), &json!(400.0))
    );
    assert_eq!((&paid["roas"], &paid["cac"]), (&json!(2.5), &json!(4800.0)));
}

#[tokio::test]
async fn an_account_conversion_names_its_account_or_its_senders_only_one() {
    let server = spawn_app(&[("ACCOUNT_CONVERSION_EVENTS", "Deal Won")]).await;
    let api = server.client();
    let body = json!([
        page(
            "p1",
            "d1",
            "2024-06-01T09:00:00Z",
            "https://acme.io/",
            "https://www.linkedin.com/"
        ),
        identify("i1", "d1", "dana", "2024-06-01T09:01:00Z"),
        identify("i2", "d1", "erin", "2024-06-01T09:01:30Z"),
        group("g1", "dana", "acme", "2024-06-01T09:02:00Z"),
        group("g2", "erin", "acme", "2024-06-01T09:02:00Z"),
        group("g3", "erin", "globex", "2024-06-03T09:02:00Z"),
        // Acme is Dana's only account: a deal that names none is Acme's.
        deal("d-dana", "dana", "2024-06-02T09:00:00Z", None),
        // Erin is in two accounts: a deal must say whose it is.
        deal("d-erin", "erin", "2024-06-04T09:00:00Z", None),
        deal("d-globex", "erin", "2024-06-05T09:00:00Z", Some("globex")),
    ]);
    assert_eq!(api.post_json("/events", &body).await.body["accepted"], 9);
    let conversions = |account: &'static str| {
        let api = api.clone();
        async move {
            let view = api.get(&format!("/api/account/{account}")).await.body;
            view["conversions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["message_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(conversions("acme").await, ["d-dana"]);
    assert_eq!(conversions("globex").await, ["d-globex"]);
}

/// Milestones from different members anchor the account's W-shaped and
/// full-path credits: Ada books the demo, Bob asks for the proposal, and
/// Cy's deal is won.
#[tokio::test]
async fn milestones_from_different_members_anchor_the_accounts_models() {
    let server = spawn_app(&[
        ("ACCOUNT_CONVERSION_EVENTS", "Deal Won"),
        ("LEAD_EVENT", "Demo Booked"),
        ("OPPORTUNITY_EVENT", "Proposal Requested"),
        ("WON_EVENT", "Deal Won"),
    ])
    .await;
    let api = server.client();
    let mut body = history();
    let extra = json!([
        page(
            "cy-2",
            "cy-laptop",
            "2024-06-08T09:00:00Z",
            "https://acme.io/",
            "https://www.bing.com/"
        ),
        track(
            "ada-lead",
            "ada",
            "Demo Booked",
            "2024-06-04T09:00:00Z",
            0.0
        ),
        track(
            "bob-opp",
            "bob",
            "Proposal Requested",
            "2024-06-06T09:00:00Z",
            0.0
        ),
    ]);
    body.as_array_mut()
        .unwrap()
        .extend(extra.as_array().unwrap().iter().cloned());
    assert_eq!(api.post_json("/events", &body).await.body["accepted"], 17);
    let account = api.get("/api/account/acme").await.body;
    assert_eq!(
        channels(&account["touches"]),
        [
            "Email",
            "Organic Search",
            "Organic Social",
            "Paid Search",
            "Organic Search"
        ]
    );
    let deal = account["conversions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["event"] == "Deal Won")
        .unwrap()
        .clone();
    let shares = |model: &str| {
        let mut dense = [0.0; 5];
        for c in deal["credits"][model].as_array().unwrap() {
            dense[c["touch"].as_u64().unwrap() as usize] += c["credit"].as_f64().unwrap();
        }
        dense
    };
    let close = |got: [f64; 5], want: [f64; 5], model: &str| {
        assert!(
            got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-9),
            "{model}: {got:?} vs {want:?}"
        );
    };
    // Anchors: Ada's first visit, her touch before the demo (0 and 1), Bob's
    // before the proposal (2), Cy's last before the deal (4).
    close(shares("w_shaped"), [0.3, 0.3, 0.3, 0.05, 0.05], "w_shaped");
    close(
        shares("full_path"),
        [0.225, 0.225, 0.225, 0.1, 0.225],
        "full_path",
    );

    // The ledger credits the deal the same way: the reports' value per
    // channel is the deal's 12,000 split as above (Ada's sign-up is worth 0).
    let reports = [
        ("full_path", [2700.0, 5400.0, 2700.0, 1200.0]),
        ("w_shaped", [3600.0, 4200.0, 3600.0, 600.0]),
    ];
    for (model, expected) in reports {
        let path = format!("/api/report?model={model}&from=2024-06-01&to=2024-07-01");
        let report = api.get(&path).await.body;
        let mut values: Vec<(String, f64)> = report["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["channel"].as_str().unwrap().to_owned(),
                    c["value"].as_f64().unwrap(),
                )
            })
            .collect();
        values.sort_by(|a, b| a.0.cmp(&b.0));
        let channels = ["Email", "Organic Search", "Organic Social", "Paid Search"];
        let got: Vec<&str> = values.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(got, channels, "{model}");
        for ((channel, value), want) in values.iter().zip(expected) {
            assert!(
                (value - want).abs() < 1e-6,
                "{model} {channel}: {value} vs {want}"
            );
        }
    }
}

/// The account's traits go to Segment as a group call, on request and, in
/// real-time mode, when its deal is credited.
#[tokio::test]
async fn the_accounts_traits_go_to_segment_as_a_group_call() {
    let segment = segment_client::recorder::Recorder::start().await.unwrap();
    let server = spawn_app(&[
        ("ACCOUNT_CONVERSION_EVENTS", "Deal Won"),
        ("SEGMENT_ENDPOINT", &segment.url()),
        ("ANALYTICS_WRITE_KEY", "wk"),
        ("REALTIME_FEED", "true"),
    ])
    .await;
    let api = server.client();
    api.post_json("/events", &history()).await;
    let groups =
        common::recorded_until(&segment, 0, |m| m.iter().any(|m| m["type"] == "group")).await;
    let group = groups
        .iter()
        .find(|m| m["type"] == "group")
        .unwrap_or_else(|| panic!("no group call in {groups:#?}"));
    assert_eq!(group["groupId"], "acme");
    assert_eq!(group["userId"], "ada", "the member who joined first");
    let traits = &group["traits"];
    assert_eq!(traits["source_first_channel"], "Email", "{traits}");
    assert_eq!(traits["source_last_channel"], "Paid Search", "{traits}");
    assert_eq!(traits["source_member_count"], 3, "{traits}");
    assert_eq!(traits["source_device_count"], 4, "{traits}");
    assert_eq!(traits["source_linear_value"], 12000.0, "{traits}");

    let before = segment.messages().len();
    let sent = api.get("/segment/group/account/acme").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let again = &segment.messages()[before..];
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0]["messageId"], group["messageId"],
        "the same facts, the same id"
    );
    assert_eq!(api.get("/segment/group/account/globex").await.status, 404);
}
