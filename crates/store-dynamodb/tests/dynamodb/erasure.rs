//! Erasure leaves nothing of the user in any table: not in the index items
//! or the other side's claims, which the contract cannot see. Every erased
//! id begins with `erasee-`, so one substring finds whatever is left.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use sma_spec::{IdentityLink, Message};
use sma_store::testing::{at, marker, membership, message, touch};
use sma_store::{
    AccountStore, ConversionLedger, CreditDelta, CreditRow, DeviceChange, Erased, Erasure,
    ErasureStore, EventStore, IdentityStore, JourneyLedger, LedgerChange, LedgerEntry, LedgerKey,
    LedgerStore, MarkerKind, MarkerStore, Owner, TouchStore,
};
use sma_store_dynamodb::DynamoStore;

use super::{fresh, ids};

const USER: &str = "erasee-user-3f9c1b7e";
const DEVICE: &str = "erasee-device-8a21d0c4";
const OTHER_DEVICE: &str = "erasee-device-5e77b912";
const KEEPER: &str = "keeper-user-c04a6e19";
const KEEPER_DEVICE: &str = "keeper-device-91b3f2d8";

fn event(kind: &str, id: &str, device: Option<&str>, user: Option<&str>, minute: u32) -> Message {
    let mut body = json!({"type": kind, "messageId": id, "timestamp": at(minute).to_rfc3339()});
    if let Some(device) = device {
        body["anonymousId"] = device.into();
    }
    if let Some(user) = user {
        body["userId"] = user.into();
    }
    if kind == "track" {
        body["event"] = "Signed Up".into();
    }
    message(body)
}

async fn link(store: &DynamoStore, device: &str, user: &str, minute: u32, id: &str) {
    let link = IdentityLink {
        anonymous_id: device.into(),
        user_id: user.into(),
    };
    store.link(&link, at(minute), id).await.unwrap();
}

fn device_change(device: &str, page: &str) -> DeviceChange {
    DeviceChange {
        device: device.into(),
        expected: None,
        state: json!({"last": page}).into(),
        put: vec![touch(device, page, 2)],
        remove: Vec::new(),
    }
}

/// A conversion credited over one touch of `device`, with its totals.
fn settled(id: &str, owner: Owner, device: &str, page: &str) -> LedgerChange {
    let row = CreditRow {
        device: device.into(),
        touch: page.into(),
        timestamp: at(2),
        channel: "Email".into(),
        source: None,
        medium: None,
        campaign: Some("spring".into()),
        term: None,
        content: None,
        landing_page: None,
        credits: [("last".to_owned(), 1.0)].into(),
    };
    let conversion = ConversionLedger {
        conversion: id.into(),
        owner,
        event: "Signed Up".into(),
        timestamp: at(10),
        value: 1.0,
        path: vec!["Email".into()],
        rows: vec![row],
    };
    LedgerChange {
        entry: LedgerEntry::Conversion(conversion),
        expected: None,
        credits: vec![CreditDelta {
            day: at(10).date_naive(),
            model: "last".into(),
            channel: "Email".into(),
            campaign: Some("spring".into()),
            conversions: 1.0,
            value: 1.0,
        }],
        paths: Vec::new(),
        funnel: Vec::new(),
    }
}

fn journey(owner: Owner) -> LedgerChange {
    LedgerChange {
        entry: LedgerEntry::Journey(owner, JourneyLedger::default()),
        expected: None,
        credits: Vec::new(),
        paths: Vec::new(),
        funnel: Vec::new(),
    }
}

/// Every item of every table (only tests scan; the tables are tiny).
async fn everything(store: &DynamoStore) -> Vec<HashMap<String, AttributeValue>> {
    let tables = store.tables();
    let mut items = Vec::new();
    for table in [&tables.events, &tables.user_map, &tables.attribution] {
        let found: Vec<_> = store
            .client()
            .scan()
            .table_name(table)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        items.extend(found);
    }
    items
}

#[tokio::test]
async fn dynamodb_erasure_leaves_no_item_naming_the_user_or_their_devices() {
    let store = fresh().await.with_events_ttl_days(30);
    let erased_ids = [
        "erasee-msg-i1",
        "erasee-msg-p1",
        "erasee-msg-p2",
        "erasee-msg-t1",
        "erasee-msg-t2",
        "erasee-msg-t3",
    ];
    let kept_ids = ["keeper-msg-p1", "keeper-msg-i1", "keeper-msg-t1"];
    store
        .put_events(&[
            event("identify", erased_ids[0], Some(DEVICE), Some(USER), 1),
            event("page", erased_ids[1], Some(DEVICE), None, 2),
            event("page", erased_ids[2], Some(OTHER_DEVICE), None, 2),
            event("track", erased_ids[3], None, Some(USER), 10),
            // The user on the keeper's device, the keeper on the user's.
            event("track", erased_ids[4], Some(KEEPER_DEVICE), Some(USER), 11),
            event("track", erased_ids[5], Some(DEVICE), Some(KEEPER), 12),
            event("page", kept_ids[0], Some(KEEPER_DEVICE), None, 2),
            event(
                "identify",
                kept_ids[1],
                Some(KEEPER_DEVICE),
                Some(KEEPER),
                5,
            ),
            event("track", kept_ids[2], None, Some(KEEPER), 13),
        ])
        .await
        .unwrap();
    link(&store, DEVICE, USER, 1, erased_ids[0]).await;
    link(&store, KEEPER_DEVICE, KEEPER, 5, kept_ids[1]).await;
    link(&store, KEEPER_DEVICE, USER, 11, erased_ids[4]).await;
    link(&store, DEVICE, KEEPER, 12, erased_ids[5]).await;
    store
        .commit_devices(&[
            device_change(DEVICE, erased_ids[1]),
            device_change(OTHER_DEVICE, erased_ids[2]),
            device_change(KEEPER_DEVICE, kept_ids[0]),
        ])
        .await
        .unwrap();
    let (user, device) = (Owner::User(USER.into()), Owner::Device(DEVICE.into()));
    let keeper = Owner::User(KEEPER.into());
    store
        .put_markers(&[
            marker(user.clone(), MarkerKind::Conversion, erased_ids[3], at(10)),
            marker(device.clone(), MarkerKind::Lead, erased_ids[0], at(1)),
            marker(keeper.clone(), MarkerKind::Conversion, kept_ids[2], at(13)),
        ])
        .await
        .unwrap();
    store
        .commit_ledger(&[
            settled(erased_ids[3], user.clone(), DEVICE, erased_ids[1]),
            settled(kept_ids[2], keeper.clone(), KEEPER_DEVICE, kept_ids[0]),
            journey(user),
            journey(device),
            journey(keeper),
        ])
        .await
        .unwrap();
    store
        .join(&[membership("acme", USER, 2), membership("acme", KEEPER, 3)])
        .await
        .unwrap();
    assert!(
        everything(&store)
            .await
            .iter()
            .any(|i| format!("{i:?}").contains("erasee-")),
        "the test finds what it looks for"
    );

    let erasure = Erasure {
        user: USER.into(),
        devices: vec![DEVICE.into(), OTHER_DEVICE.into()],
        conversions: vec![erased_ids[3].into()],
        accounts: vec!["acme".into()],
    };
    let expected = Erased {
        events: 6,
        claims: 3,
        memberships: 1,
        touches: 2,
        markers: 2,
        ledger: 3,
    };
    assert_eq!(store.erase(&erasure).await.unwrap(), expected);

    let items = everything(&store).await;
    let left: Vec<_> = items
        .iter()
        .map(|i| format!("{i:?}"))
        .filter(|text| text.contains("erasee-"))
        .collect();
    assert!(left.is_empty(), "items naming the erased: {left:#?}");
    let tombstones: Vec<_> = items
        .iter()
        .filter(|i| i["pk"].as_s().unwrap().starts_with("erased#"))
        .collect();
    assert_eq!(tombstones.len(), erased_ids.len());
    assert!(
        tombstones.iter().all(|t| t.len() == 2),
        "a tombstone is its key alone, without expires_at: {tombstones:?}"
    );
    let asked: Vec<String> = erased_ids
        .iter()
        .chain(&kept_ids)
        .map(|&s| s.into())
        .collect();
    let mut answer = vec![true; erased_ids.len()];
    answer.extend([false; 3]);
    assert_eq!(store.erased(&asked).await.unwrap(), answer);

    // The keeper's data stays, totals too.
    let keeper_items = items
        .iter()
        .filter(|i| format!("{i:?}").contains("keeper-"));
    assert!(keeper_items.count() > 10);
    assert_eq!(
        ids(store.device_events(KEEPER_DEVICE).await.unwrap()),
        ["keeper-msg-p1", "keeper-msg-i1"]
    );
    assert_eq!(
        ids(store.user_events(KEEPER, &[]).await.unwrap()),
        ["keeper-msg-i1", "keeper-msg-t1"]
    );
    assert_eq!(
        store.user_of(KEEPER_DEVICE).await.unwrap().as_deref(),
        Some(KEEPER)
    );
    assert!(store.conflicts_of(KEEPER).await.unwrap().is_empty());
    let members = store.members_of("acme").await.unwrap();
    assert_eq!(
        members,
        [membership("acme", KEEPER, 3)],
        "the other member stays"
    );
    let day = at(0).date_naive();
    let totals = store
        .credit_totals("last", day, day.succ_opt().unwrap())
        .await;
    assert_eq!(
        totals.unwrap()[0].conversions,
        2.0,
        "totals are the application's"
    );
    let owners = store.owners(None, None).await.unwrap();
    assert_eq!(
        owners,
        [
            Owner::Device(KEEPER_DEVICE.into()),
            Owner::User(KEEPER.into())
        ]
    );

    assert_eq!(store.erase(&erasure).await.unwrap(), Erased::default());
    // The device comes back: its activity is written again by this process.
    store
        .put_events(&[event("page", "later", Some(DEVICE), None, 30)])
        .await
        .unwrap();
    let owners = store.owners(None, None).await.unwrap();
    assert!(owners.contains(&Owner::Device(DEVICE.into())), "{owners:?}");
}

#[tokio::test]
async fn dynamodb_a_removed_ledger_entry_is_deleted_over_the_version_read_with_its_totals() {
    let store = fresh().await;
    let user = Owner::User(USER.into());
    let credited = settled("erasee-msg-c1", user.clone(), DEVICE, "erasee-msg-p1");
    store
        .commit_ledger(&[credited.clone(), journey(user.clone())])
        .await
        .unwrap();
    let mut removal = LedgerChange {
        entry: LedgerEntry::Removed(LedgerKey::Conversion("erasee-msg-c1".into())),
        expected: Some(1),
        ..credited
    };
    removal.credits[0].conversions = -1.0;
    removal.credits[0].value = -1.0;
    let stale = LedgerChange {
        entry: LedgerEntry::Removed(LedgerKey::Journey(user.clone())),
        expected: Some(2),
        ..journey(user.clone())
    };
    assert_eq!(
        store
            .commit_ledger(&[removal.clone(), stale])
            .await
            .unwrap(),
        [true, false],
        "only over the version read"
    );
    assert_eq!(
        store.commit_ledger(&[removal]).await.unwrap(),
        [false],
        "applied once"
    );
    let ledgers = store.conversion_ledgers(&["erasee-msg-c1".into()]).await;
    assert_eq!(ledgers.unwrap(), [None]);
    assert!(store.journey_ledgers(&[user]).await.unwrap()[0].is_some());
    let day = at(10).date_naive();
    let totals = store
        .credit_totals("last", day, day.succ_opt().unwrap())
        .await;
    assert!(totals.unwrap().is_empty(), "the credits are taken off");
}
