//! Real-time mode on AWS, on DynamoDB Local's real streams: a link is an event
//! (segment-feed sends the user's identify from the USER_MAP stream, whatever
//! order identity-map and touches ran in), and the credit events it
//! sends from the ATTRIBUTION stream, corrections included, add up to the
//! reports through a device linked late.

use crate::support::{
    API_TOKEN, apigw, consume, deliver, identify, page, realtime_app_with, streams,
};
use segment_client::recorder::{Recorder, Sums, sum_by, sums_agree};
use serde_json::{Value, json};
use sma_attribution::Model;
use sma_lambda::{IdentityMap, LambdaApp, RealtimeFeed, Touches};

const EVENT: &str = "Conversion Attributed";

#[derive(Debug, Clone, Copy)]
enum Order {
    IdentityMapFirst,
    TouchesFirst,
}

/// The three tables' streams, consumed as Lambda would: each record once.
struct Pipeline {
    app: LambdaApp,
    segment: Recorder,
    /// Records of (EVENTS, ATTRIBUTION, USER_MAP) already handed out.
    read: [usize; 3],
}

impl Pipeline {
    async fn start() -> Pipeline {
        Pipeline::start_with(&[]).await
    }

    async fn start_with(settings: &[(&str, &str)]) -> Pipeline {
        let segment = Recorder::start().await.unwrap();
        let app = realtime_app_with(&segment, settings).await;
        Pipeline {
            app,
            segment,
            read: [0; 3],
        }
    }

    /// The records of a table's stream not handed out yet.
    async fn new_records(&mut self, which: usize) -> Vec<Value> {
        let tables = self.app.store.tables();
        let table = [&tables.events, &tables.attribution, &tables.user_map][which];
        let records = streams::records(table).await;
        let new = records[self.read[which]..].to_vec();
        self.read[which] = records.len();
        new
    }

    /// Delivers `messages` (if any), runs the EVENTS consumers in `order`, then
    /// segment-feed on the ATTRIBUTION and USER_MAP streams.
    async fn run(&mut self, messages: &[Value], order: Order) {
        if !messages.is_empty() {
            deliver(&self.app, messages).await;
        }
        let events = self.new_records(0).await;
        let only = |filter: fn(&Value) -> bool| events.iter().filter(move |r| filter(r));
        let identity: Vec<&Value> = only(streams::identity_map_filter).collect();
        let sources: Vec<&Value> = only(streams::touches_filter).collect();
        let failed = match order {
            Order::IdentityMapFirst => [
                consume(&self.app, &IdentityMap, &identity).await,
                consume(&self.app, &Touches, &sources).await,
            ],
            Order::TouchesFirst => [
                consume(&self.app, &Touches, &sources).await,
                consume(&self.app, &IdentityMap, &identity).await,
            ],
        };
        assert!(failed.iter().all(Vec::is_empty), "{failed:?}");
        for (which, filter) in [
            (1, streams::realtime_feed_filter as fn(&Value) -> bool),
            (2, streams::user_map_feed_filter),
        ] {
            let records = self.new_records(which).await;
            let wanted: Vec<&Value> = records.iter().filter(|r| filter(r)).collect();
            assert!(consume(&self.app, &RealtimeFeed, &wanted).await.is_empty());
        }
    }

    /// The reports as a downstream sum of credit events would read them.
    async fn report_sums(&self) -> Sums {
        let router = sma_lambda::function_router(self.app.clone());
        let bearer = format!("Bearer {API_TOKEN}");
        let mut sums = Sums::new();
        for model in Model::ALL.map(Model::as_str) {
            let path = format!("/api/report?model={model}&from=2024-05-01&to=2024-06-01");
            let request = apigw::request("GET", &path, &[("authorization", &bearer)], None);
            let (status, report) = apigw::invoke(&router, request).await;
            assert_eq!(status, 200, "{report}");
            for row in report["channels"].as_array().unwrap() {
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

    async fn assert_sent_matches_reports(&self, step: &str) {
        let summed: Vec<String> = Model::ALL
            .iter()
            .flat_map(|m| {
                [
                    format!("credit_{}", m.as_str()),
                    format!("value_{}", m.as_str()),
                ]
            })
            .collect();
        let sent = sum_by(&self.segment.messages(), EVENT, "channel", &summed);
        let reports = self.report_sums().await;
        assert!(
            sums_agree(&sent, &reports, 1e-6),
            "{step}: sent {sent:#?}\nreports {reports:#?}"
        );
    }

    /// The identify calls sent for `user` from the `from`-th message on.
    fn identifies(&self, user: &str, from: usize) -> Vec<Value> {
        self.segment.messages()[from..]
            .iter()
            .filter(|m| m["type"] == "identify" && m["userId"] == user)
            .cloned()
            .collect()
    }
}

fn order(id: &str, at: &str, revenue: f64) -> Value {
    json!({
        "type": "track", "messageId": id, "userId": "u-ada", "event": "Order Completed",
        "timestamp": at, "properties": {"revenue": revenue},
        "context": {"library": {"name": "analytics-node", "version": "2.1.0"}}
    })
}

async fn a_link_and_credit_changes_reach_segment(consumers: Order) {
    let mut pipeline = Pipeline::start().await;
    let paid = "https://www.example.com/pricing?utm_source=google&utm_medium=cpc";
    pipeline
        .run(
            &[
                page(
                    "p1",
                    "a-laptop",
                    None,
                    paid,
                    "https://www.google.com/",
                    "2024-05-01T10:00:00.000Z",
                ),
                page(
                    "p2",
                    "a-phone",
                    None,
                    "https://www.example.com/",
                    "https://chatgpt.com/",
                    "2024-05-02T08:00:00.000Z",
                ),
                identify("i1", "a-laptop", "u-ada", "2024-05-02T09:00:00.000Z"),
                order("o1", "2024-05-03T10:00:00.000Z", 100.0),
                page(
                    "b1",
                    "a-bob",
                    None,
                    paid,
                    "https://www.google.com/",
                    "2024-05-04T10:00:00.000Z",
                ),
            ],
            consumers,
        )
        .await;
    pipeline.assert_sent_matches_reports("as delivered").await;
    let first = pipeline.identifies("u-ada", 0).pop().expect("an identify");
    assert_eq!(first["traits"]["source_device_count"], 1, "{first}");

    // The phone is linked late, and so is Bob's only device: each link sends
    // its user's identify, and the order's credits are corrected.
    let before = pipeline.segment.messages().len();
    let links = [
        identify("i2", "a-phone", "u-ada", "2024-05-02T08:05:00.000Z"),
        identify("i3", "a-bob", "u-bob", "2024-05-04T10:05:00.000Z"),
    ];
    pipeline.run(&links, consumers).await;
    // Nothing else changed for Bob (no touch, no conversion): only the link
    // can have sent it.
    let bob = pipeline.identifies("u-bob", before).pop();
    let traits = &bob.expect("the link sends Bob's identify")["traits"];
    assert_eq!(traits["source_first_channel"], "Paid Search", "{traits}");
    let linked = pipeline.identifies("u-ada", before).pop();
    let traits = &linked.expect("the link sends the identify")["traits"];
    assert_eq!(
        (
            &traits["source_device_count"],
            &traits["source_touch_count"]
        ),
        (&json!(2), &json!(2)),
        "{traits}"
    );
    let sent = pipeline.segment.messages();
    assert!(
        sent[before..]
            .iter()
            .any(|m| m["event"] == EVENT && m["properties"]["correction"] == true),
        "the superseded credits are taken back"
    );
    pipeline
        .assert_sent_matches_reports("after the late link")
        .await;
}

#[tokio::test]
async fn dynamodb_identity_map_first_a_link_and_credit_changes_reach_segment() {
    a_link_and_credit_changes_reach_segment(Order::IdentityMapFirst).await;
}

#[tokio::test]
async fn dynamodb_touches_first_a_link_and_credit_changes_reach_segment() {
    a_link_and_credit_changes_reach_segment(Order::TouchesFirst).await;
}

/// A conversion delivered before the pages that led to it: credited over no
/// touch at first, then corrected when the pages arrive, the sums equal to
/// the reports at each step.
#[tokio::test]
async fn dynamodb_a_conversion_before_its_touches_is_corrected_when_they_arrive() {
    let mut pipeline = Pipeline::start().await;
    let first = [
        identify("i1", "a-laptop", "u-ada", "2024-05-02T09:00:00.000Z"),
        order("o1", "2024-05-03T10:00:00.000Z", 100.0),
    ];
    pipeline.run(&first, Order::IdentityMapFirst).await;
    pipeline
        .assert_sent_matches_reports("the order alone")
        .await;

    let before = pipeline.segment.messages().len();
    let paid = "https://www.example.com/pricing?utm_source=google&utm_medium=cpc";
    let email = "https://www.example.com/?utm_source=newsletter&utm_medium=email";
    let pages = [
        page("p1", "a-laptop", None, paid, "", "2024-05-01T10:00:00.000Z"),
        page(
            "p2",
            "a-laptop",
            None,
            email,
            "",
            "2024-05-02T08:00:00.000Z",
        ),
    ];
    pipeline.run(&pages, Order::TouchesFirst).await;
    pipeline
        .assert_sent_matches_reports("after the pages")
        .await;
    let credited: Vec<String> = pipeline.segment.messages()[before..]
        .iter()
        .filter(|m| m["event"] == EVENT && m["properties"]["correction"] == false)
        .map(|m| m["properties"]["channel"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(credited, ["Paid Search", "Email"]);
}

/// A Segment `delete` on AWS: the user and their devices are erased from the
/// tables, the reports drop by exactly their conversion, a retry of one of
/// their messages is not stored again, and the streams' REMOVE records send
/// nothing about them to Segment.
#[tokio::test]
async fn dynamodb_a_deleted_user_is_erased_and_nothing_more_is_sent_about_them() {
    let mut pipeline = Pipeline::start_with(&[("ACCOUNT_CONVERSION_EVENTS", "Deal Won")]).await;
    let paid = "https://www.example.com/pricing?utm_source=google&utm_medium=cpc";
    let ada_landing = page("p1", "a-laptop", None, paid, "", "2024-05-01T10:00:00.000Z");
    let group = |id: &str, user: &str| {
        json!({"type": "group", "messageId": id, "userId": user, "groupId": "acme",
               "timestamp": "2024-05-04T11:00:00.000Z"})
    };
    // Ada and Bob are colleagues: Bob's deal is credited over Ada's touch too,
    // and is credited again without it once she is erased.
    let history = [
        ada_landing.clone(),
        identify("i1", "a-laptop", "u-ada", "2024-05-02T09:00:00.000Z"),
        order("o1", "2024-05-03T10:00:00.000Z", 100.0),
        page("b1", "a-bob", None, paid, "", "2024-05-04T10:00:00.000Z"),
        identify("i3", "a-bob", "u-bob", "2024-05-04T10:05:00.000Z"),
        group("g1", "u-ada"),
        group("g2", "u-bob"),
        json!({"type": "track", "messageId": "deal-1", "userId": "u-bob", "event": "Deal Won",
               "timestamp": "2024-05-05T10:00:00.000Z", "context": {"groupId": "acme"},
               "properties": {"amount": 5000}}),
    ];
    pipeline.run(&history, Order::IdentityMapFirst).await;
    let before = pipeline.report_sums().await;
    let sent_before = pipeline.segment.messages().len();

    let delete = json!({"type": "delete", "userId": "u-ada", "messageId": "del-1"});
    let answer = deliver(&pipeline.app, &[delete]).await;
    assert_eq!(answer["deletions"], 1, "{answer}");
    assert_eq!(answer["erased"]["events"], 4, "{answer}");
    assert_eq!(answer["erased"]["memberships"], 1, "{answer}");
    assert_eq!(answer["erased"]["touches"], 1, "{answer}");
    pipeline.run(&[], Order::IdentityMapFirst).await;

    let router = sma_lambda::function_router(pipeline.app.clone());
    let bearer = format!("Bearer {API_TOKEN}");
    for path in ["/api/user/u-ada", "/api/device/a-laptop"] {
        let request = apigw::request("GET", path, &[("authorization", &bearer)], None);
        assert_eq!(apigw::invoke(&router, request).await.0, 404, "{path}");
    }
    // Ada's order had one touch: every model credited it wholly to Paid Search.
    let after = pipeline.report_sums().await;
    assert!(!before.is_empty());
    for ((channel, figure), was) in &before {
        assert_eq!(channel, "Paid Search");
        let dropped = if figure.starts_with("credit_") {
            1.0
        } else {
            100.0
        };
        let now = after
            .get(&(channel.clone(), figure.clone()))
            .copied()
            .unwrap_or(0.0);
        assert!(
            (was - now - dropped).abs() < 1e-6,
            "{figure}: {was} -> {now}"
        );
    }
    let about_ada = |m: &&Value| m["userId"] == "u-ada" || m["anonymousId"] == "a-laptop";
    let sent = pipeline.segment.messages();
    assert!(
        !sent[sent_before..].iter().any(|m| about_ada(&m)),
        "nothing about an erased user: {:#?}",
        &sent[sent_before..]
    );

    let retry = deliver(&pipeline.app, &[ada_landing]).await;
    assert_eq!(
        (&retry["accepted"], &retry["duplicates"]),
        (&json!(0), &json!(1))
    );
    pipeline.run(&[], Order::IdentityMapFirst).await;
    let request = apigw::request(
        "GET",
        "/api/device/a-laptop",
        &[("authorization", &bearer)],
        None,
    );
    assert_eq!(
        apigw::invoke(&router, request).await.0,
        404,
        "not stored again"
    );
}

/// A group call reaches identity-map through the EVENTS stream's filter and
/// makes its user a member: the api function's account view spans the
/// members' devices, the account's deal is credited over them in the reports,
/// and segment-feed sends the account's group call.
#[tokio::test]
async fn dynamodb_a_group_call_makes_a_member_of_the_account() {
    let mut pipeline = Pipeline::start_with(&[("ACCOUNT_CONVERSION_EVENTS", "Deal Won")]).await;
    let paid = "https://www.example.com/pricing?utm_source=google&utm_medium=cpc";
    let group = |id: &str, user: &str| {
        json!({"type": "group", "messageId": id, "userId": user, "groupId": "acme",
               "timestamp": "2024-05-05T10:00:00.000Z", "traits": {"name": "Acme"}})
    };
    let history = [
        page("p1", "a-laptop", None, paid, "", "2024-05-01T10:00:00.000Z"),
        identify("i1", "a-laptop", "u-ada", "2024-05-02T09:00:00.000Z"),
        page(
            "b1",
            "a-bob",
            None,
            "https://www.example.com/",
            "https://www.linkedin.com/",
            "2024-05-04T10:00:00.000Z",
        ),
        identify("i3", "a-bob", "u-bob", "2024-05-04T10:05:00.000Z"),
        group("g1", "u-ada"),
        group("g2", "u-bob"),
    ];
    pipeline.run(&history, Order::TouchesFirst).await;
    let router = sma_lambda::function_router(pipeline.app.clone());
    let bearer = format!("Bearer {API_TOKEN}");
    let request = apigw::request(
        "GET",
        "/api/account/acme",
        &[("authorization", &bearer)],
        None,
    );
    let (status, account) = apigw::invoke(&router, request).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["devices"], json!(["a-bob", "a-laptop"]));
    let channels: Vec<&str> = account["touches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["Paid Search", "Organic Social"]);

    // Bob wins the deal for Acme: the reports credit it over both members'
    // touches, and the account's traits go to Segment.
    let deal = json!({"type": "track", "messageId": "deal-1", "userId": "u-bob",
                      "event": "Deal Won", "timestamp": "2024-05-06T10:00:00.000Z",
                      "context": {"groupId": "acme"}, "properties": {"amount": 5000}});
    pipeline.run(&[deal], Order::IdentityMapFirst).await;
    let sums = pipeline.report_sums().await;
    for channel in ["Paid Search", "Organic Social"] {
        let key = (channel.to_owned(), "value_linear".to_owned());
        assert_eq!(sums.get(&key), Some(&2500.0), "{channel}: {sums:?}");
    }
    let sent = pipeline.segment.messages();
    let group = sent
        .iter()
        .find(|m| m["type"] == "group")
        .unwrap_or_else(|| panic!("no group call in {sent:#?}"));
    assert_eq!(
        (&group["groupId"], &group["userId"]),
        (&json!("acme"), &json!("u-ada"))
    );
    assert_eq!(group["traits"]["source_member_count"], 2);
}
