//! `STORE=dynamodb sma import` into DynamoDB Local (the endpoint in
//! `DYNAMODB_ENDPOINT`, set by `scripts/dynamodb-local run ...`): the same
//! counts and touches as an import into SQLite, and importing again adds nothing;
//! `sma report` and `sma backfill` on those tables answer as on SQLite.

use std::collections::BTreeSet;
use std::path::Path;

use sma_store::{Owner, Store};
use sma_store_dynamodb::DynamoStore;
use sma_store_sqlite::SqliteStore;

use super::{Scratch, archive_lines, distinct_ids, n};

/// The three tables, named as no other test (or earlier run) names them.
fn tables() -> (String, String, String) {
    let prefix = format!(
        "sma-import-{}-{}",
        std::process::id(),
        std::time::UNIX_EPOCH.elapsed().unwrap().as_micros()
    );
    (
        format!("{prefix}-events"),
        format!("{prefix}-user-map"),
        format!("{prefix}-attribution"),
    )
}

/// Every stored messageId, and every device's touches (as JSON), of a store.
async fn contents(store: &impl Store) -> (BTreeSet<String>, Vec<(String, Vec<String>)>) {
    let (mut ids, mut touches) = (BTreeSet::new(), Vec::new());
    for owner in store.owners(None, None).await.unwrap() {
        let events = match &owner {
            Owner::Device(device) => {
                let stored = store.device_touches(device).await.unwrap();
                let json = stored.iter().map(|t| t.touch.as_str().to_owned()).collect();
                touches.push((device.clone(), json));
                store.device_events(device).await.unwrap()
            }
            Owner::User(user) => store.user_events(user, &[]).await.unwrap(),
            Owner::Account(account) => panic!("no message is an account's: {account}"),
        };
        ids.extend(events.into_iter().map(|m| m.message_id));
    }
    (ids, touches)
}

#[test]
fn dynamodb_import_stores_what_sqlite_does_and_reimporting_adds_nothing() {
    // Fails, never skips, without DynamoDB Local: the test runner always starts it.
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .expect("DYNAMODB_ENDPOINT is not set: run `scripts/dynamodb-local run cargo test`");
    let s = Scratch::new();
    let archive = s.generate("archive", 40, 4, 17);
    let lines = archive_lines(&archive);
    let unique = distinct_ids(&lines);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let names = tables();
    let dynamo = runtime.block_on(async {
        let store = DynamoStore::from_env("us-east-1", Some(endpoint.clone()), names.clone()).await;
        store.create_tables().await.unwrap();
        store
    });
    let on_dynamodb = |args: &[&str]| {
        let mut command = s.sma(&s.path("unused.db"));
        command
            .env("STORE", "dynamodb")
            .env("DYNAMODB_ENDPOINT", &endpoint)
            .env("EVENTS_TABLE", &names.0)
            .env("USER_MAP_TABLE", &names.1)
            .env("ATTRIBUTION_TABLE", &names.2)
            .env("AWS_ACCESS_KEY_ID", "fakeMyKeyId")
            .env("AWS_SECRET_ACCESS_KEY", "fakeSecretAccessKey")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(args);
        succeeded(command.output().unwrap())
    };
    let import = |archive: &Path| {
        let stdout = on_dynamodb(&["import", "--json", archive.to_str().unwrap()]);
        serde_json::from_slice::<serde_json::Value>(&stdout).unwrap()
    };

    let first = import(&archive);
    assert_eq!(n(&first, "events"), lines.len() as u64);
    assert_eq!(n(&first, "stored"), unique as u64);
    assert_eq!(n(&first, "duplicates"), (lines.len() - unique) as u64);
    assert!(n(&first, "newTouches") > 0);

    // The same archive into SQLite: the same summary and the same store.
    let db = s.path("sma.db");
    let (_, sqlite) = s.import(&db, &[&archive]);
    for field in [
        "stored",
        "duplicates",
        "newTouches",
        "journeysSettled",
        "usersSeen",
    ] {
        assert_eq!(first[field], sqlite[field], "{field}");
    }
    let (ids, touches) = runtime.block_on(contents(&dynamo));
    assert_eq!(ids.len(), unique);
    let local = runtime.block_on(contents(&SqliteStore::open(&db).unwrap()));
    assert_eq!((ids, touches), local, "DynamoDB and SQLite hold the same");

    let again = import(&archive);
    assert_eq!(n(&again, "stored"), 0);
    assert_eq!(n(&again, "duplicates"), lines.len() as u64);
    assert_eq!(n(&again, "newTouches"), 0);

    // The CLI reads either store alike.
    let on_sqlite = |args: &[&str]| succeeded(s.sma(&db).args(args).output().unwrap());
    for model in ["first", "linear", "markov"] {
        let report = ["report", "--model", model, "--format", "json"];
        let (aws, local) = (on_dynamodb(&report), on_sqlite(&report));
        let value: serde_json::Value = serde_json::from_slice(&aws).unwrap();
        assert!(
            value["total"]["conversions"].as_f64().unwrap() > 0.0,
            "{value}"
        );
        assert_eq!(aws, local, "report under {model}");
    }
    let backfill = ["backfill", "--dry-run"];
    let sorted = |stdout: Vec<u8>| {
        let mut lines: Vec<String> = String::from_utf8(stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    let (aws, local) = (sorted(on_dynamodb(&backfill)), sorted(on_sqlite(&backfill)));
    assert!(!aws.is_empty());
    assert_eq!(aws, local, "backfill messages");
}

fn succeeded(output: std::process::Output) -> Vec<u8> {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
