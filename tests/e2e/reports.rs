//! The reports of `/api/report/*` and `sma report VIEW` on a seeded store,
//! against figures worked out by hand: two users who convert (one through a
//! lead and an opportunity), two anonymous devices that do not.

use std::path::Path;
use std::process::Command;

use crate::common::{Server, identify, page, track};
use serde_json::{Value, json};

const ENV: [(&str, &str); 3] = [
    ("LEAD_EVENT", "Lead Created"),
    ("OPPORTUNITY_EVENT", "Opportunity Created"),
    ("API_TOKEN", "reports-token"),
];

const EMAIL: &str = "https://acme.io/?utm_source=newsletter&utm_medium=email";
const GOOGLE: &str = "https://www.google.com/search?q=acme";

fn seed() -> Value {
    json!([
        // Ada: Email, then Organic Search four days before she orders (100).
        page("a-1", "ada-laptop", "2024-06-01T10:00:00Z", EMAIL, ""),
        page(
            "a-2",
            "ada-laptop",
            "2024-06-03T10:00:00Z",
            "https://acme.io/",
            GOOGLE
        ),
        identify("a-3", "ada-laptop", "ada", "2024-06-03T10:01:00Z"),
        track("a-4", "ada", "Lead Created", "2024-06-03T10:02:00Z", 0.0),
        track(
            "a-5",
            "ada",
            "Opportunity Created",
            "2024-06-04T10:00:00Z",
            0.0
        ),
        track(
            "a-6",
            "ada",
            "Order Completed",
            "2024-06-05T10:00:00Z",
            100.0
        ),
        // Bob: Organic Search alone, a lead, an order (50) two days later.
        page(
            "b-1",
            "bob-phone",
            "2024-06-02T09:00:00Z",
            "https://acme.io/",
            GOOGLE
        ),
        identify("b-2", "bob-phone", "bob", "2024-06-02T09:01:00Z"),
        track("b-3", "bob", "Lead Created", "2024-06-02T09:05:00Z", 0.0),
        track(
            "b-4",
            "bob",
            "Order Completed",
            "2024-06-04T09:00:00Z",
            50.0
        ),
        // Two visitors who do not convert: Email then Direct, and Email alone.
        page("c-1", "carol", "2024-06-02T12:00:00Z", EMAIL, ""),
        page(
            "c-2",
            "carol",
            "2024-06-03T12:00:00Z",
            "https://acme.io/",
            ""
        ),
        page("d-1", "dan", "2024-06-04T12:00:00Z", EMAIL, ""),
    ])
}

async fn get(server: &Server, path: &str) -> (u16, Value) {
    let reply = server
        .client()
        .with_header("authorization", "Bearer reports-token")
        .get(path)
        .await;
    (reply.status, reply.body)
}

fn sma_report(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sma"))
        .arg("report")
        .args(args)
        .current_dir(db.parent().unwrap())
        .env_clear()
        .env("SMA_DB", db)
        .envs(ENV)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn every_report_matches_the_figures_worked_by_hand() {
    let server = Server::start(&ENV);
    let seeded = server
        .client()
        .with_header("authorization", "Bearer reports-token");
    assert_eq!(
        seeded.post_json("/events", &seed()).await.body["accepted"],
        13
    );
    let june = "from=2024-06-01&to=2024-07-01";

    let (status, paths) = get(&server, &format!("/api/report/paths?{june}")).await;
    assert_eq!(status, 200, "{paths}");
    assert_eq!(
        paths["paths"],
        json!([
            {"path": ["Email", "Organic Search"], "conversions": 1, "value": 100.0,
             "touches": 2, "days_to_convert": 4.0},
            {"path": ["Organic Search"], "conversions": 1, "value": 50.0,
             "touches": 1, "days_to_convert": 2.0},
        ])
    );
    // GA4's split: two touches are one early and one late; one touch is late.
    assert_eq!(
        paths["buckets"],
        json!([
            {"channel": "Email", "early": 1, "mid": 0, "late": 0},
            {"channel": "Organic Search", "early": 0, "mid": 0, "late": 2},
        ])
    );
    let (_, open) = get(
        &server,
        &format!("/api/report/paths?{june}&converted=false"),
    )
    .await;
    assert_eq!(
        open["paths"],
        json!([
            {"path": ["Email"], "journeys": 1, "touches": 1},
            {"path": ["Email", "Direct"], "journeys": 1, "touches": 2},
        ])
    );

    let (_, funnel) = get(&server, &format!("/api/report/funnel?{june}")).await;
    assert_eq!(
        funnel["stages"],
        json!(["visit", "lead", "opportunity", "conversion"])
    );
    assert_eq!(
        funnel["first_touch"],
        json!([
            {"channel": "Email", "visit": 3, "lead": 1, "opportunity": 1, "conversion": 1,
             "rates": {"lead": 0.3333, "opportunity": 1.0, "conversion": 1.0}},
            // Bob converted without an opportunity: he went through one.
            {"channel": "Organic Search", "visit": 1, "lead": 1, "opportunity": 1,
             "conversion": 1, "rates": {"lead": 1.0, "opportunity": 1.0, "conversion": 1.0}},
        ])
    );
    assert_eq!(
        funnel["last_touch"],
        json!([
            {"channel": "Direct", "visit": 1, "lead": 0, "opportunity": 0, "conversion": 0,
             "rates": {"lead": 0.0, "opportunity": null, "conversion": null}},
            {"channel": "Email", "visit": 1, "lead": 0, "opportunity": 0, "conversion": 0,
             "rates": {"lead": 0.0, "opportunity": null, "conversion": null}},
            {"channel": "Organic Search", "visit": 2, "lead": 2, "opportunity": 2,
             "conversion": 2, "rates": {"lead": 1.0, "opportunity": 1.0, "conversion": 1.0}},
        ])
    );
    assert_eq!(
        funnel["assisted"],
        json!([
            {"channel": "Email", "assisted": 1, "assisted_value": 100.0, "last_touch": 0,
             "ratio": null},
            {"channel": "Organic Search", "assisted": 0, "assisted_value": 0.0,
             "last_touch": 2, "ratio": 0.0},
        ])
    );

    let (_, compare) = get(
        &server,
        &format!("/api/report/compare?{june}&models=first,linear"),
    )
    .await;
    assert_eq!(compare["baseline"], "last_non_direct");
    // Channels in the order of /api/report's rows.
    assert_eq!(
        compare["channels"],
        json!([
            {"channel": "Organic Search", "models": {
                "first": {"conversions": 1.0, "value": 50.0, "change": -50.0},
                "linear": {"conversions": 1.5, "value": 100.0, "change": -25.0}}},
            {"channel": "Email", "models": {
                "first": {"conversions": 1.0, "value": 100.0, "change": null},
                "linear": {"conversions": 0.5, "value": 50.0, "change": null}}},
        ])
    );

    let (_, week) = get(
        &server,
        &format!("/api/report/series?{june}&model=linear&interval=week"),
    )
    .await;
    assert_eq!(
        week["series"],
        json!([
            {"period": "2024-06-03", "channel": "Email", "conversions": 0.5, "value": 50.0},
            {"period": "2024-06-03", "channel": "Organic Search", "conversions": 1.5,
             "value": 100.0},
        ])
    );
    let (_, days) = get(&server, "/api/report/series?model=first").await;
    assert_eq!(
        days["series"],
        json!([
            {"period": "2024-06-04", "channel": "Organic Search", "conversions": 1.0,
             "value": 50.0},
            {"period": "2024-06-05", "channel": "Email", "conversions": 1.0, "value": 100.0},
        ])
    );

    // A bad parameter is a 400 that names it; no report without the token.
    for (path, named) in [
        ("/api/report/series?model=markov", "rule models"),
        ("/api/report/series?interval=year", "interval"),
        ("/api/report/paths?limit=0", "limit"),
        ("/api/report/paths?converted=maybe", "converted"),
        ("/api/report/compare?models=first,nope", "nope"),
        (
            "/api/report/funnel?from=2024-07-01&to=2024-06-01",
            "must be before",
        ),
    ] {
        let (status, body) = get(&server, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(named),
            "{path}: {body}"
        );
    }
    let anonymous = server.client().get("/api/report/funnel").await;
    assert_eq!(anonymous.status, 401);

    // The command line answers the same JSON, and tables of the same figures.
    let db = server.db.clone();
    assert!(server.stop().success());
    for (view, api) in [
        ("paths", &paths),
        ("funnel", &funnel),
        ("compare", &compare),
    ] {
        let mut args = vec![
            view,
            "--from",
            "2024-06-01",
            "--to",
            "2024-07-01",
            "--format",
            "json",
        ];
        if view == "compare" {
            args.extend(["--models", "first,linear"]);
        }
        let cli: Value = serde_json::from_str(&sma_report(&db, &args)).unwrap();
        assert_eq!(&cli, api, "sma report {view}");
    }
    let cli: Value = serde_json::from_str(&sma_report(
        &db,
        &[
            "series",
            "--model",
            "linear",
            "--interval",
            "week",
            "--from",
            "2024-06-01",
            "--to",
            "2024-07-01",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(cli, week);
    let table = sma_report(&db, &["paths", "--converted", "false"]);
    assert!(table.contains("paths not converted"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("Email > Direct") && l.ends_with('2')),
        "{table}"
    );
    let csv = sma_report(&db, &["funnel", "--format", "csv"]);
    assert!(csv.contains("Organic Search,2,2,2,2,1,1,1\n"), "{csv}");
}
