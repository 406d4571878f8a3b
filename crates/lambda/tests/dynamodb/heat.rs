//! Partition heat on DynamoDB Local: a month of traffic of 10,000 users
//! (100,000 events) through the AWS pipeline, intake then both stream
//! consumers, counting every item write per partition key as the tables'
//! streams record it. DynamoDB serves each partition key from one partition
//! (1,000 write units a second), so a key that takes a fixed share of all
//! writes, as an unsharded daily or monthly total would, caps the whole
//! deployment. `SMA_HEAT_USERS` sets the users for a quicker run; the shared
//! keys (the totals' shards) decide the bound at any size, the keys of one
//! device, user or conversion take a share that falls as the users grow.

use std::collections::HashMap;

use crate::support::{consume, fresh_app, identify, page, streams};
use serde_json::{Value, json};
use sma_attribution::Rng;
use sma_lambda::{IdentityMap, LambdaApp, Touches};

/// Users in the month: `SMA_HEAT_USERS`, or 10,000.
fn users() -> u64 {
    match std::env::var("SMA_HEAT_USERS") {
        Ok(users) => users.parse().expect("SMA_HEAT_USERS is a number of users"),
        Err(_) => 10_000,
    }
}

const EVENTS_PER_USER: u64 = 10;
/// Stream shards processed side by side, as Lambda does per shard.
const LANES: u64 = 4;
const CONVERSION: &str = "Signed Up";

/// Where a visit comes from: (landing page URL, referrer).
const SOURCES: [(&str, &str); 6] = [
    ("https://acme.io/", "https://www.google.com/"),
    (
        "https://acme.io/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=may",
        "",
    ),
    ("https://acme.io/blog/launch", "https://chatgpt.com/"),
    ("https://acme.io/", "https://www.linkedin.com/"),
    (
        "https://acme.io/?utm_source=google&utm_medium=cpc&utm_campaign=brand",
        "https://www.google.com/",
    ),
    ("https://acme.io/docs", ""),
];

fn track(id: &str, device: &str, user: Option<&str>, event: &str, at: &str) -> Value {
    json!({
        "type": "track", "messageId": id, "anonymousId": device, "userId": user,
        "event": event, "timestamp": at, "receivedAt": at, "sentAt": at,
        "properties": {"revenue": 49}
    })
}

/// One user's month: three visits on days of May 2024, each opening with a
/// page from a source and going on with pages and tracks; the second visit
/// identifies the device, and a fifth of the users convert on the third.
fn month_of(user: u64, rng: &mut Rng) -> Vec<Value> {
    let device = format!("a-{user}");
    let user_id = format!("u-{user}");
    let mut days: Vec<u64> = (0..3).map(|_| 1 + rng.below(31)).collect();
    days.sort_unstable();
    let mut out = Vec::new();
    for (visit, day) in days.into_iter().enumerate() {
        let hour = rng.below(24);
        let at = |minute: usize| format!("2024-05-{day:02}T{hour:02}:{minute:02}:00.000Z");
        let id = |n: usize| format!("{user}-{visit}-{n}");
        let (url, referrer) = SOURCES[rng.below(SOURCES.len() as u64) as usize];
        let known = (visit > 0).then_some(user_id.as_str());
        out.push(page(&id(0), &device, known, url, referrer, &at(0)));
        out.push(page(
            &id(1),
            &device,
            known,
            "https://acme.io/pricing",
            url,
            &at(1),
        ));
        match visit {
            0 => out.push(track(&id(2), &device, None, "Pricing Viewed", &at(2))),
            1 => out.push(identify(&id(2), &device, &user_id, &at(2))),
            _ if rng.below(5) == 0 => {
                out.push(track(&id(2), &device, known, CONVERSION, &at(2)));
                out.push(page(
                    &id(3),
                    &device,
                    known,
                    "https://acme.io/app",
                    "",
                    &at(3),
                ));
            }
            _ => {
                out.push(page(
                    &id(2),
                    &device,
                    known,
                    "https://acme.io/docs",
                    "",
                    &at(2),
                ));
                out.push(track(&id(3), &device, known, "Docs Read", &at(3)));
            }
        }
    }
    assert_eq!(out.len() as u64, EVENTS_PER_USER);
    out
}

/// The lane of a stream record: Lambda keeps a partition key's records in
/// order within one shard.
fn lane(record: &Value) -> usize {
    let pk = record["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap_or("");
    let hash = pk
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31) + u64::from(b));
    (hash % LANES) as usize
}

/// Runs `work` on every lane at once, each lane's items in order.
async fn in_lanes<T, F, Fut>(items: Vec<Vec<T>>, work: F)
where
    T: Send + 'static,
    F: Fn(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for items in items {
        tasks.spawn(work(items));
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a lane completes");
    }
}

/// Hands each lane's records to `consumer` in batches of 100, as the
/// template's event source mappings do.
async fn run_consumer<C>(app: &LambdaApp, consumer: C, records: Vec<&Value>)
where
    C: sma_lambda::Consumer + Copy + Send + Sync + 'static,
{
    let mut lanes: Vec<Vec<Value>> = vec![Vec::new(); LANES as usize];
    for record in records {
        lanes[lane(record)].push(record.clone());
    }
    in_lanes(lanes, |records| {
        let app = app.clone();
        async move {
            for batch in records.chunks(100) {
                let batch: Vec<&Value> = batch.iter().collect();
                let failed = consume(&app, &consumer, &batch).await;
                assert!(failed.is_empty(), "a batch failed at {failed:?}");
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_no_partition_key_takes_more_than_one_percent_of_a_months_writes() {
    let app = fresh_app(&[("CONVERSION_EVENTS", CONVERSION)]).await;
    let mut rng = Rng::new(19);
    let mut lanes: Vec<Vec<Value>> = vec![Vec::new(); LANES as usize];
    let users = users();
    for user in 0..users {
        lanes[(user % LANES) as usize].extend(month_of(user, &mut rng));
    }
    in_lanes(lanes, |messages| {
        let app = app.clone();
        async move {
            for batch in messages.chunks(100) {
                let body = serde_json::to_vec(batch).unwrap();
                let summary = app.intake(&body, None).await.expect("intake");
                assert_eq!(summary.accepted, batch.len(), "{summary:?}");
            }
        }
    })
    .await;

    let tables = app.store.tables().clone();
    let events = streams::records(&tables.events).await;
    assert_eq!(
        events.len() as u64,
        users * EVENTS_PER_USER + activity(&events)
    );
    let identity = events
        .iter()
        .filter(|r| streams::identity_map_filter(r))
        .collect();
    run_consumer(&app, IdentityMap, identity).await;
    let sources = events
        .iter()
        .filter(|r| streams::touches_filter(r))
        .collect();
    run_consumer(&app, Touches, sources).await;

    let mut writes: HashMap<String, u64> = HashMap::new();
    for table in [&tables.events, &tables.user_map, &tables.attribution] {
        for record in streams::records(table).await {
            let pk = record["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap();
            *writes.entry(format!("{table}:{pk}")).or_default() += 1;
        }
    }
    let total: u64 = writes.values().sum();
    let mut hottest: Vec<(&String, &u64)> = writes.iter().collect();
    hottest.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "{total} item writes over {} partition keys; the hottest:",
        writes.len()
    );
    for (key, n) in hottest.iter().take(8) {
        println!(
            "  {n:>6} ({:.3}%)  {key}",
            **n as f64 * 100.0 / total as f64
        );
    }
    let (key, most) = hottest[0];
    assert!(
        *most * 100 <= total,
        "{key} takes {most} of {total} writes, more than 1%"
    );
}

/// The EVENTS items that are not events (the activity index and user
/// references), so that the count above checks every event was stored.
fn activity(records: &[Value]) -> u64 {
    records
        .iter()
        .filter(|r| r["dynamodb"]["NewImage"]["type"]["S"].as_str().is_none())
        .count() as u64
}
