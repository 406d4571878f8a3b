//! Open-loop load generator for `sma serve`: sends requests on a fixed schedule
//! (RATE a second, whatever the answers take), each a body of BATCH realistic
//! Segment events with unique messageIds, alternating the Webhooks (Actions) array
//! form on `/events` and the Tracking API `{"batch": [...]}` form on `/v1/batch`
//! (one message object on `/events` when BATCH is 1).
//!
//! Latency is measured from the moment a request was due, so a slow server (or a
//! starved generator) cannot hide queueing. Every messageId of a request answered
//! 2xx is written to `--ids`; a JSON summary is printed on stdout.
//!
//! Usage: sma-load --url http://127.0.0.1:PORT --seconds 60 --rate 500 --batch 10
//!        [--token T] [--ids FILE] [--max-in-flight 1024] [--seed N]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};

struct Args {
    url: String,
    seconds: f64,
    rate: f64,
    batch: usize,
    token: Option<String>,
    ids: Option<String>,
    max_in_flight: usize,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        seconds: 60.0,
        rate: 500.0,
        batch: 10,
        token: None,
        ids: None,
        max_in_flight: 1024,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--url" => a.url = value(),
            "--seconds" => a.seconds = value().parse().unwrap_or_else(|_| usage("--seconds")),
            "--rate" => a.rate = value().parse().unwrap_or_else(|_| usage("--rate")),
            "--batch" => a.batch = value().parse().unwrap_or_else(|_| usage("--batch")),
            "--token" => a.token = Some(value()),
            "--ids" => a.ids = Some(value()),
            "--max-in-flight" => {
                a.max_in_flight = value().parse().unwrap_or_else(|_| usage("--max-in-flight"))
            }
            "--seed" => a.seed = value().parse().unwrap_or_else(|_| usage("--seed")),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if a.url.is_empty() || a.rate <= 0.0 || a.seconds <= 0.0 || a.batch == 0 {
        usage("--url, a positive --rate, --seconds and --batch are required");
    }
    // Loopback only: this tool is for a server on this machine.
    let authority = a.url.split("://").nth(1).unwrap_or("");
    let loopback = ["127.", "localhost:", "localhost/", "[::1]"];
    if !loopback.iter().any(|p| authority.starts_with(p)) && authority != "localhost" {
        usage("--url must be a loopback address (127.0.0.1 or localhost)");
    }
    a
}

fn usage(problem: &str) -> ! {
    eprintln!("sma-load: {problem}");
    eprintln!(
        "usage: sma-load --url http://127.0.0.1:PORT [--seconds 60] [--rate 500] [--batch 10] [--token T] [--ids FILE] [--max-in-flight 1024] [--seed 1]"
    );
    std::process::exit(2)
}

/// splitmix64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const VISITORS: u64 = 50_000;
const LANDINGS: [&str; 12] = [
    "https://acme.io/",
    "https://acme.io/pricing",
    "https://acme.io/blog/attribution-models",
    "https://acme.io/?utm_source=newsletter&utm_medium=email&utm_campaign=june",
    "https://acme.io/?gclid=Cj0KCQjw",
    "https://acme.io/features?utm_source=linkedin&utm_medium=paid_social&utm_campaign=q2",
    "https://acme.io/?fbclid=IwAR2x",
    "https://acme.io/docs/getting-started",
    "https://acme.io/?msclkid=7f2c",
    "https://acme.io/signup",
    "https://acme.io/?utm_source=partner&utm_medium=affiliate",
    "https://acme.io/compare",
];
const REFERRERS: [&str; 12] = [
    "",
    "https://www.google.com/",
    "https://www.google.com/search?q=marketing+attribution",
    "https://www.bing.com/search?q=acme",
    "https://chatgpt.com/",
    "https://t.co/abc",
    "https://www.linkedin.com/feed/",
    "https://news.ycombinator.com/item?id=1",
    "https://duckduckgo.com/",
    "https://acme.io/pricing",
    "https://www.youtube.com/watch?v=x",
    "https://checkout.stripe.com/c/pay",
];
const TRACKS: [&str; 6] = [
    "Signed Up",
    "Button Clicked",
    "Video Played",
    "Demo Request",
    "Plan Selected",
    "Order Completed",
];

/// Builds request bodies: events of visitors from a fixed pool, so devices come
/// back, get identified and convert.
struct Events {
    rng: Rng,
    run: String,
    seq: u64,
}

impl Events {
    fn message(&mut self, now: &str) -> (String, Value) {
        self.seq += 1;
        let id = format!("{}-{:09}", self.run, self.seq);
        let visitor = self.rng.below(VISITORS);
        let anon = format!("anon-{visitor:05}");
        let user = format!("user-{visitor:05}");
        let library = json!({"name": "analytics.js", "version": "next-1.70.0"});
        let roll = self.rng.below(100);
        let message = if roll < 70 {
            let url = self.rng.pick(&LANDINGS);
            let referrer = self.rng.pick(&REFERRERS);
            json!({
                "type": "page", "messageId": id, "anonymousId": anon,
                "timestamp": now, "sentAt": now, "receivedAt": now,
                "name": "Landing",
                "properties": {"path": "/", "title": "Acme", "url": url, "referrer": referrer},
                "context": {
                    "ip": "203.0.113.7", "library": library, "locale": "en-US",
                    "page": {"path": "/", "referrer": referrer, "title": "Acme", "url": url},
                    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
                }
            })
        } else if roll < 85 {
            let event = self.rng.pick(&TRACKS);
            json!({
                "type": "track", "messageId": id, "anonymousId": anon, "userId": user,
                "event": event, "timestamp": now,
                "properties": {"revenue": 49, "currency": "USD", "plan": "team"},
                "context": {"library": library, "ip": "203.0.113.7"}
            })
        } else if roll < 95 {
            json!({
                "type": "identify", "messageId": id, "anonymousId": anon, "userId": user,
                "timestamp": now,
                "traits": {"email": format!("{user}@example.com"), "plan": "trial", "company": "Acme"},
                "context": {"library": library}
            })
        } else if roll < 98 {
            json!({
                "type": "screen", "messageId": id, "anonymousId": anon, "timestamp": now,
                "name": "Home", "properties": {"url": "app://home", "referrer": ""},
                "context": {"library": {"name": "analytics-ios", "version": "4.1.8"}}
            })
        } else {
            json!({
                "type": "group", "messageId": id, "userId": user, "groupId": "acme-inc",
                "timestamp": now, "traits": {"name": "Acme Inc", "employees": 40}
            })
        };
        (id, message)
    }

    /// (path, body, messageIds) of request number `n`.
    fn request(&mut self, n: u64, batch: usize) -> (&'static str, String, Vec<String>) {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (ids, messages): (Vec<String>, Vec<Value>) =
            (0..batch).map(|_| self.message(&now)).unzip();
        if batch == 1 {
            return ("/events", messages[0].to_string(), ids);
        }
        if n.is_multiple_of(2) {
            ("/events", Value::Array(messages).to_string(), ids)
        } else {
            let body = json!({"batch": messages, "sentAt": now, "context": {"library": {"name": "analytics-python", "version": "2.3.4"}}});
            ("/v1/batch", body.to_string(), ids)
        }
    }
}

struct Outcome {
    latency: Duration,
    status: Option<u16>,
    ids: Vec<String>,
    /// 2xx with every message accepted (not duplicate, not rejected).
    all_accepted: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = args();
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(a.max_in_flight)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    let mut events = Events {
        rng: Rng(a.seed),
        run: format!("load-{:x}", chrono::Utc::now().timestamp_millis()),
        seq: 0,
    };
    let total = (a.rate * a.seconds).round() as u64;
    let period = Duration::from_secs_f64(1.0 / a.rate);
    let slots = Arc::new(Semaphore::new(a.max_in_flight));
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();
    let mut skipped = 0u64;
    let start = Instant::now();
    for n in 0..total {
        let due = start + period.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        // Open loop: when the server holds too many requests, this one is counted as
        // not sent rather than silently delayed.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            skipped += 1;
            continue;
        };
        let (path, body, ids) = events.request(n, a.batch);
        let mut request = client
            .post(format!("{}{path}", a.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = &a.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let tx = tx.clone();
        let batch = a.batch;
        tokio::spawn(async move {
            let (status, all_accepted) = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.bytes().await.unwrap_or_default();
                    let summary: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let accepted = summary["accepted"].as_u64() == Some(batch as u64)
                        && summary["rejected"].as_array().is_some_and(Vec::is_empty);
                    (Some(status), (200..300).contains(&status) && accepted)
                }
                Err(_) => (None, false),
            };
            let _ = tx.send(Outcome {
                latency: due.elapsed(),
                status,
                ids,
                all_accepted,
            });
            drop(slot);
        });
    }
    drop(tx);
    let send_done = start.elapsed();

    let mut latencies = Vec::with_capacity(total as usize);
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let (mut ok_requests, mut ok_events, mut not_all_accepted) = (0u64, 0u64, 0u64);
    let mut ids_out = a.ids.as_ref().map(|path| {
        std::io::BufWriter::new(std::fs::File::create(path).expect("--ids file can be written"))
    });
    while let Some(outcome) = rx.recv().await {
        latencies.push(outcome.latency);
        let key = outcome.status.map_or("error".to_owned(), |s| s.to_string());
        *statuses.entry(key).or_default() += 1;
        if outcome.status.is_some_and(|s| (200..300).contains(&s)) {
            ok_requests += 1;
            ok_events += outcome.ids.len() as u64;
            if !outcome.all_accepted {
                not_all_accepted += 1;
            }
            if let Some(out) = ids_out.as_mut() {
                let mut lines = String::new();
                for id in &outcome.ids {
                    let _ = writeln!(lines, "{id}");
                }
                out.write_all(lines.as_bytes()).expect("write ids");
            }
        }
    }
    if let Some(mut out) = ids_out {
        out.flush().expect("write ids");
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let summary = json!({
        "seconds": (elapsed * 100.0).round() / 100.0,
        "sending_seconds": (send_done.as_secs_f64() * 100.0).round() / 100.0,
        "target_requests_per_second": a.rate,
        "batch": a.batch,
        "requests_scheduled": total,
        "requests_skipped_in_flight_cap": skipped,
        "requests_2xx": ok_requests,
        "requests_2xx_not_all_accepted": not_all_accepted,
        "statuses": statuses,
        "events_2xx": ok_events,
        "requests_per_second": (ok_requests as f64 / elapsed).round(),
        "events_per_second": (ok_events as f64 / elapsed).round(),
        "latency_ms": {
            "p50": (percentile(&latencies, 0.50) * 100.0).round() / 100.0,
            "p90": (percentile(&latencies, 0.90) * 100.0).round() / 100.0,
            "p99": (percentile(&latencies, 0.99) * 100.0).round() / 100.0,
            "max": (percentile(&latencies, 1.0) * 100.0).round() / 100.0,
        },
    });
    println!("{summary}");
}
