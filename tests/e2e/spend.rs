//! Ad spend through the real `sma serve` and `sma spend import`: spend,
//! ROAS and CAC per channel and per campaign under `last` and `linear`
//! against figures worked out by hand; a re-import replaces; a row in a
//! foreign currency is converted at its rate, and rejected, named, without
//! one while the rows beside it are stored.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{Server, identify, page, track};
use serde_json::{Value, json};

const TOKEN: &str = "spend-token";
const ENV: [(&str, &str); 1] = [("API_TOKEN", TOKEN)];

fn paid(campaign: &str) -> String {
    format!("https://acme.io/?utm_source=google&utm_medium=cpc&utm_campaign={campaign}")
}

const NEWSLETTER: &str =
    "https://acme.io/?utm_source=newsletter&utm_medium=email&utm_campaign=june";

/// Ada: Paid Search (spring), then Email (june), orders 100. Bob: Paid
/// Search (spring), orders 60. Cy: Paid Search (summer), orders 40.
fn history() -> Value {
    json!([
        page(
            "a-1",
            "ada-laptop",
            "2024-06-01T10:00:00Z",
            &paid("spring"),
            ""
        ),
        page("a-2", "ada-laptop", "2024-06-02T10:00:00Z", NEWSLETTER, ""),
        identify("a-3", "ada-laptop", "ada", "2024-06-02T10:01:00Z"),
        track(
            "a-4",
            "ada",
            "Order Completed",
            "2024-06-03T10:00:00Z",
            100.0
        ),
        page(
            "b-1",
            "bob-phone",
            "2024-06-02T09:00:00Z",
            &paid("spring"),
            ""
        ),
        identify("b-2", "bob-phone", "bob", "2024-06-02T09:01:00Z"),
        track(
            "b-3",
            "bob",
            "Order Completed",
            "2024-06-04T09:00:00Z",
            60.0
        ),
        page(
            "c-1",
            "cy-tablet",
            "2024-06-05T09:00:00Z",
            &paid("summer"),
            ""
        ),
        identify("c-2", "cy-tablet", "cy", "2024-06-05T09:01:00Z"),
        track("c-3", "cy", "Order Completed", "2024-06-06T09:00:00Z", 40.0),
    ])
}

/// Line 5 is in EUR without a rate; July is outside the reports' period.
const CSV: &str = "date,channel,source,medium,campaign,cost,currency,rate
2024-06-01,Paid Search,google,cpc,spring,50,USD,
2024-06-02,Paid Search,google,cpc,spring,30.00,USD,
2024-06-05,Paid Search,google,cpc,summer,20,USD,
2024-06-03,Email,newsletter,email,june,10,EUR,
2024-06-03,Display,,,,25,USD,
2024-07-01,Paid Search,google,cpc,spring,999,USD,
";

fn sma_spend(db: &Path, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sma"))
        .args(["spend", "import"])
        .arg(file)
        .current_dir(db.parent().unwrap())
        .env_clear()
        .env("SMA_DB", db)
        .output()
        .unwrap()
}

/// `POST /api/spend` with a body of `content_type`: (status, answer).
async fn post_spend(server: &Server, content_type: &str, body: &str) -> (u16, Value) {
    let response = crate::common::http_client()
        .post(format!("{}/api/spend", server.url))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

async fn report(server: &Server, query: &str) -> Value {
    let reply = server
        .client()
        .with_header("authorization", &format!("Bearer {TOKEN}"))
        .get(&format!("/api/report?{query}"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// A row's credits and costs, to the cent: `None` is a JSON null.
type Figures = (f64, f64, Option<f64>, Option<f64>, Option<f64>);

fn figures(row: &Value) -> Figures {
    let n = |name: &str| row[name].as_f64();
    let cents = |x: f64| (x * 100.0).round() / 100.0;
    (
        cents(n("conversions").unwrap()),
        cents(n("value").unwrap()),
        n("spend").map(cents),
        n("roas").map(cents),
        n("cac").map(cents),
    )
}

fn by_name<'a>(rows: &'a Value, key: &str) -> Vec<(String, &'a Value)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| (r[key].as_str().unwrap_or("-").to_owned(), r))
        .collect()
}

fn assert_channels(report: &Value, want: &[(&str, Figures)]) {
    let got: Vec<(String, Figures)> = by_name(&report["channels"], "channel")
        .into_iter()
        .map(|(name, row)| (name, figures(row)))
        .collect();
    let want: Vec<(String, Figures)> = want.iter().map(|(c, f)| (c.to_string(), *f)).collect();
    assert_eq!(got, want, "channels of {}", report["model"]);
}

fn assert_campaigns(report: &Value, want: &[(&str, &str, Figures)]) {
    let got: Vec<(String, String, Figures)> = report["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = r["campaign"].as_str().unwrap_or("-").to_owned();
            (r["channel"].as_str().unwrap().to_owned(), name, figures(r))
        })
        .collect();
    let want: Vec<(String, String, Figures)> = want
        .iter()
        .map(|(ch, ca, f)| (ch.to_string(), ca.to_string(), *f))
        .collect();
    assert_eq!(got, want, "campaigns of {}", report["model"]);
}

#[tokio::test]
async fn spend_roas_and_cac_match_the_figures_worked_by_hand() {
    let server = Server::start(&ENV);
    let client = server
        .client()
        .with_header("authorization", &format!("Bearer {TOKEN}"));
    let taken = client.post_json("/events", &history()).await;
    assert_eq!(taken.body["accepted"], 10, "{}", taken.body);

    // The command line: the EUR row without a rate is rejected by its line,
    // the other five are stored, and the command says it failed.
    let file = server.db.parent().unwrap().join("spend.csv");
    std::fs::write(&file, CSV).unwrap();
    let out = sma_spend(&server.db, &file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a rejected row fails the command");
    assert!(
        stdout.contains("5 rows stored (5 new, 0 replacing a stored row), 1 rejected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 5: cost in EUR, not the reporting currency USD"),
        "{stdout}"
    );
    assert!(stderr.contains("1 of 6 rows rejected"), "{stderr}");

    // The API: a EUR row with a rate is converted (20 EUR at 1.5 = 30 USD);
    // one without is rejected by its index.
    let rows = json!([
        {"date": "2024-06-02", "channel": "Email", "source": "newsletter", "medium": "email",
         "campaign": "june", "cost": 20, "currency": "EUR", "rate": 1.5},
        {"date": "2024-06-03", "channel": "Email", "source": "newsletter", "medium": "email",
         "campaign": "june", "cost": 10, "currency": "EUR"},
    ]);
    let (status, summary) = post_spend(&server, "application/json", &rows.to_string()).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            &summary["stored"],
            &summary["replaced"],
            &summary["rejected"]
        ),
        (&json!(1), &json!(0), &json!(1))
    );
    assert_eq!(summary["rejections"][0]["index"], 1);
    let error = summary["rejections"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("index 1: ") && error.contains("EUR"),
        "{error}"
    );

    // A re-import replaces: the same file again adds nothing, and a new cost
    // for 2 June's spring replaces the 30 it had (40, not 70).
    let again = sma_spend(&server.db, &file);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("5 rows stored (0 new, 5 replacing"),
        "{stdout}"
    );
    let csv = "date,channel,source,medium,campaign,cost,currency\n\
               2024-06-02,Paid Search,google,cpc,spring,40,USD\n";
    let (status, summary) = post_spend(&server, "text/csv", csv).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (&summary["stored"], &summary["replaced"]),
        (&json!(1), &json!(1))
    );

    // June's spend: Paid Search 50 + 40 (spring) + 20 (summer) = 110, Email
    // 30, Display 25 (no credit), 165 in all.
    let june = "from=2024-06-01&to=2024-07-01";
    let last = report(&server, &format!("model=last&{june}")).await;
    assert_eq!(last["currency"], "USD");
    // last: Ada's 100 to Email, Bob's 60 and Cy's 40 to Paid Search.
    assert_channels(
        &last,
        &[
            (
                "Paid Search",
                (2.0, 100.0, Some(110.0), Some(0.91), Some(55.0)),
            ),
            ("Display", (0.0, 0.0, Some(25.0), Some(0.0), None)),
            ("Email", (1.0, 100.0, Some(30.0), Some(3.33), Some(30.0))),
        ],
    );
    assert_eq!(
        figures(&last["total"]),
        (3.0, 200.0, Some(165.0), Some(1.21), Some(55.0))
    );
    assert_campaigns(
        &last,
        &[
            (
                "Paid Search",
                "spring",
                (1.0, 60.0, Some(90.0), Some(0.67), Some(90.0)),
            ),
            (
                "Paid Search",
                "summer",
                (1.0, 40.0, Some(20.0), Some(2.0), Some(20.0)),
            ),
            ("Display", "-", (0.0, 0.0, Some(25.0), Some(0.0), None)),
            (
                "Email",
                "june",
                (1.0, 100.0, Some(30.0), Some(3.33), Some(30.0)),
            ),
        ],
    );

    // linear: Ada's order split between spring and june.
    let linear = report(&server, &format!("model=linear&{june}")).await;
    assert_channels(
        &linear,
        &[
            (
                "Paid Search",
                (2.5, 150.0, Some(110.0), Some(1.36), Some(44.0)),
            ),
            ("Display", (0.0, 0.0, Some(25.0), Some(0.0), None)),
            ("Email", (0.5, 50.0, Some(30.0), Some(1.67), Some(60.0))),
        ],
    );
    assert_campaigns(
        &linear,
        &[
            (
                "Paid Search",
                "spring",
                (1.5, 110.0, Some(90.0), Some(1.22), Some(60.0)),
            ),
            (
                "Paid Search",
                "summer",
                (1.0, 40.0, Some(20.0), Some(2.0), Some(20.0)),
            ),
            ("Display", "-", (0.0, 0.0, Some(25.0), Some(0.0), None)),
            (
                "Email",
                "june",
                (0.5, 50.0, Some(30.0), Some(1.67), Some(60.0)),
            ),
        ],
    );

    // Spend is summed over the period's days: 2 to 4 June holds spring's 40,
    // Email's 30 and Display's 25; July's 999 is in no June report.
    let days = report(&server, "model=last&from=2024-06-02&to=2024-06-05").await;
    assert_eq!(days["total"]["spend"], 95.0);
    // A data-driven model: spend per channel too, no campaigns.
    let markov = report(&server, &format!("model=markov&{june}")).await;
    let spend: Vec<(String, Value)> = by_name(&markov["channels"], "channel")
        .into_iter()
        .map(|(name, row)| (name, row["spend"].clone()))
        .collect();
    assert_eq!(
        spend,
        [
            ("Paid Search".to_owned(), json!(110.0)),
            ("Display".to_owned(), json!(25.0)),
            ("Email".to_owned(), json!(30.0)),
        ]
    );
    assert!(markov.get("campaigns").is_none(), "{markov}");

    // A write needs the token and a type it reads.
    let anonymous = server.client().post("/api/spend", "[]").await;
    assert_eq!(anonymous.status, 401);
    let (status, answer) = post_spend(&server, "text/plain", csv).await;
    assert_eq!(status, 415, "{answer}");
    let (status, answer) = post_spend(&server, "text/csv", "date,cost\n").await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("`channel`"),
        "{answer}"
    );
}
