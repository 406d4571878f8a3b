//! The store contract: what every adapter must do, written once against the port
//! traits and run unchanged against each adapter (each adapter crate calls
//! [`contract_tests!`](crate::contract_tests) in a test of its own).
//!
//! Each check takes a fresh, empty store.

use crate::{Claim, Conflict, LinkOutcome, Owner, Store};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sma_spec::{IdentityLink, Item, Message, ParseOptions, parse_body};

mod accounts;
mod derivation;
mod erasure;
mod ledger;
mod markers;
mod spend;
pub use accounts::*;
pub use derivation::*;
pub use erasure::*;
pub use ledger::*;
pub use markers::*;
pub use spend::*;

pub fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 9, minute, 0).unwrap()
}

/// A real message, parsed the way intake parses it.
pub fn message(body: serde_json::Value) -> Message {
    let text = body.to_string();
    // Arrival now: every test time is in the past, as a replayed history's is.
    let opts = ParseOptions {
        implied_type: None,
        received_at: chrono::Utc::now(),
    };
    match parse_body(text.as_bytes(), opts).unwrap().pop() {
        Some(Item::Message(m)) => m,
        other => panic!("not a message: {other:?}"),
    }
}

pub fn page(id: &str, anon: &str, minute: u32) -> Message {
    message(json!({
        "type": "page", "messageId": id, "anonymousId": anon,
        "timestamp": at(minute).to_rfc3339(),
        "context": {"page": {"url": format!("https://example.com/{id}"), "referrer": "https://www.google.com/"}}
    }))
}

pub fn track(id: &str, user: &str, minute: u32) -> Message {
    message(json!({
        "type": "track", "messageId": id, "userId": user, "event": "Signed Up",
        "timestamp": at(minute).to_rfc3339(), "properties": {"revenue": 10}
    }))
}

fn ids(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.message_id.as_str()).collect()
}

fn link(anon: &str, user: &str) -> IdentityLink {
    IdentityLink {
        anonymous_id: anon.into(),
        user_id: user.into(),
    }
}

pub async fn stores_events_once_by_message_id(store: impl Store) {
    let first = store
        .put_events(&[page("m1", "a1", 5), page("m2", "a1", 3)])
        .await
        .unwrap();
    assert_eq!(first, vec![true, true]);
    let again = store
        .put_events(&[page("m1", "a1", 5), page("m3", "a1", 4)])
        .await
        .unwrap();
    assert_eq!(
        again,
        vec![false, true],
        "a re-delivered messageId is not stored twice"
    );
    let events = store.device_events("a1").await.unwrap();
    assert_eq!(ids(&events), ["m2", "m3", "m1"], "time order");
    let stored = store
        .stored_under(&[page("m3", "a1", 4), page("m4", "a1", 4)])
        .await
        .unwrap();
    assert_eq!(stored, [Some(page("m3", "a1", 4)), None]);
}

pub async fn round_trips_messages_exactly(store: impl Store) {
    let original = message(json!({
        "type": "page", "messageId": "rt", "anonymousId": "a9", "userId": "u9",
        "timestamp": "2024-03-01T09:30:00.123Z", "name": "Docs",
        "context": {"page": {"url": "https://example.com/docs?utm_source=x", "referrer": "https://news.ycombinator.com/"},
                    "campaign": {"source": "x", "medium": "social"}},
        "properties": {"title": "Docs ✓"}
    }));
    store
        .put_events(std::slice::from_ref(&original))
        .await
        .unwrap();
    let stored = store.device_events("a9").await.unwrap();
    assert_eq!(stored, vec![original]);
}

pub async fn user_events_merge_devices_and_user_id(store: impl Store) {
    store
        .put_events(&[
            page("p1", "a1", 1),
            page("p2", "a2", 2),
            page("p3", "other", 3),
            track("t1", "u1", 4),
        ])
        .await
        .unwrap();
    let events = store
        .user_events("u1", &["a1".into(), "a2".into()])
        .await
        .unwrap();
    assert_eq!(ids(&events), ["p1", "p2", "t1"]);
    assert!(store.user_events("nobody", &[]).await.unwrap().is_empty());
    assert!(store.device_events("nobody").await.unwrap().is_empty());
}

pub async fn links_devices_and_records_conflicts(store: impl Store) {
    assert_eq!(
        store.link(&link("a1", "u1"), at(10), "i1").await.unwrap(),
        LinkOutcome::Linked
    );
    assert_eq!(
        store.link(&link("a1", "u1"), at(11), "i2").await.unwrap(),
        LinkOutcome::Unchanged
    );
    assert_eq!(
        store.link(&link("a2", "u1"), at(12), "i3").await.unwrap(),
        LinkOutcome::Linked
    );
    assert_eq!(
        store.link(&link("a1", "u2"), at(13), "i4").await.unwrap(),
        LinkOutcome::Conflict { owner: "u1".into() },
        "a linked device is not re-linked"
    );
    assert_eq!(store.user_of("a1").await.unwrap().as_deref(), Some("u1"));
    assert_eq!(store.user_of("a3").await.unwrap(), None);
    assert_eq!(store.devices_of("u1").await.unwrap(), ["a1", "a2"]);
    assert!(store.devices_of("u2").await.unwrap().is_empty());
    let devices = ["a1".to_owned(), "a3".to_owned(), "a2".to_owned()];
    assert_eq!(
        store.users_of(&devices).await.unwrap(),
        [Some("u1".to_owned()), None, Some("u1".to_owned())]
    );
    let users = ["u2".to_owned(), "u1".to_owned()];
    assert_eq!(
        store.devices_of_users(&users).await.unwrap(),
        [vec![], vec!["a1".to_owned(), "a2".to_owned()]]
    );
    let expected = vec![Conflict {
        anonymous_id: "a1".into(),
        owner: "u1".into(),
        claimant: "u2".into(),
        claimed_at: at(13),
        message_id: "i4".into(),
    }];
    assert_eq!(store.conflicts_of("u1").await.unwrap(), expected);
    assert_eq!(store.conflicts_of("u2").await.unwrap(), expected);
}

pub async fn earliest_claim_wins_whatever_the_arrival_order(store: impl Store) {
    // The later claim arrives first; the earlier one, delivered late, takes over.
    store.link(&link("a1", "late"), at(20), "i2").await.unwrap();
    assert_eq!(
        store.link(&link("a1", "early"), at(5), "i1").await.unwrap(),
        LinkOutcome::TakenOver {
            previous: "late".into()
        }
    );
    assert_eq!(store.user_of("a1").await.unwrap().as_deref(), Some("early"));
    assert_eq!(
        store.devices_of("late").await.unwrap(),
        Vec::<String>::new()
    );
    let conflicts = store.conflicts_of("late").await.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].owner.as_str(), conflicts[0].claimant.as_str()),
        ("early", "late")
    );
}

pub async fn lists_owners_active_in_a_range(store: impl Store) {
    store
        .put_events(&[
            page("p1", "a1", 1),
            page("p2", "a2", 20),
            track("t1", "u1", 30),
            track("t2", "u2", 50),
        ])
        .await
        .unwrap();
    let all = store.owners(None, None).await.unwrap();
    assert_eq!(
        all,
        [
            Owner::Device("a1".into()),
            Owner::Device("a2".into()),
            Owner::User("u1".into()),
            Owner::User("u2".into())
        ]
    );
    let some = store.owners(Some(at(20)), Some(at(50))).await.unwrap();
    assert_eq!(
        some,
        [Owner::Device("a2".into()), Owner::User("u1".into())],
        "[from, to)"
    );
}

fn claim(anon: &str, user: &str, minute: u32, id: &str) -> Claim {
    Claim {
        link: IdentityLink {
            anonymous_id: anon.into(),
            user_id: user.into(),
        },
        at: at(minute),
        message_id: id.into(),
    }
}

pub async fn links_several_claims_in_order(store: impl Store) {
    let outcomes = store
        .link_all(&[
            claim("a1", "u1", 5, "i1"),
            claim("a1", "u1", 6, "i2"),
            claim("a1", "u2", 7, "i3"),
            claim("a2", "u2", 8, "i4"),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            LinkOutcome::Linked,
            LinkOutcome::Unchanged,
            LinkOutcome::Conflict { owner: "u1".into() },
            LinkOutcome::Linked,
        ]
    );
    assert_eq!(store.user_of("a1").await.unwrap().as_deref(), Some("u1"));
    assert_eq!(store.devices_of("u2").await.unwrap(), ["a2"]);
    assert!(store.link_all(&[]).await.unwrap().is_empty());
}

/// Runs every check, each on a fresh store from `fresh`.
#[macro_export]
macro_rules! contract_tests {
    ($fresh:expr) => {
        $crate::contract_tests!(@each $fresh;
            stores_events_once_by_message_id,
            round_trips_messages_exactly,
            user_events_merge_devices_and_user_id,
            links_devices_and_records_conflicts,
            links_several_claims_in_order,
            earliest_claim_wins_whatever_the_arrival_order,
            lists_owners_active_in_a_range,
            writes_device_states_only_over_the_version_read,
            a_touch_put_again_replaces_the_stored_one,
            reads_a_devices_events_and_touches_in_a_range,
            reads_markers_by_carrier_and_time,
            replaces_ledger_entries_only_over_the_version_read,
            removes_ledger_entries_over_the_version_read,
            keeps_journey_ledgers_by_owner,
            sums_totals_by_model_day_channel_and_campaign,
            sums_funnel_totals_by_day_first_and_last_channel,
            sums_screened_views_by_day_and_reason,
            erases_a_user_and_their_devices_and_nobody_else,
            replaces_spend_by_key_and_reads_it_by_day,
            records_memberships_by_account_and_user,
        );
    };
    (@each $fresh:expr; $($check:ident,)*) => {
        $(
            #[tokio::test]
            async fn $check() {
                $crate::testing::$check($fresh).await;
            }
        )*
    };
}
