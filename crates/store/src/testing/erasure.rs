//! Erasure: everything of a user and their devices removed, everyone else's
//! left, a digest kept of each erased message.

use crate::{
    Claim, DeviceChange, Erased, Erasure, JourneyLedger, LedgerChange, LedgerEntry, MarkerKind,
    Owner, Store,
};

use super::accounts::membership;
use super::derivation::touch;
use super::ledger::conversion;
use super::markers::marker;
use super::{at, ids, link, page, track};

fn claim(anon: &str, user: &str, minute: u32) -> Claim {
    Claim {
        link: link(anon, user),
        at: at(minute),
        message_id: format!("i-{anon}-{user}"),
    }
}

fn devices_change(device: &str, touches: &[&str]) -> DeviceChange {
    DeviceChange {
        device: device.into(),
        expected: None,
        state: serde_json::json!({"last": 1}).into(),
        put: touches.iter().map(|id| touch(device, id, 1)).collect(),
        remove: Vec::new(),
    }
}

fn entry(entry: LedgerEntry) -> LedgerChange {
    LedgerChange {
        entry,
        expected: None,
        credits: Vec::new(),
        paths: Vec::new(),
        funnel: Vec::new(),
    }
}

pub async fn erases_a_user_and_their_devices_and_nobody_else(store: impl Store) {
    let (u1, u2) = (Owner::User("u1".into()), Owner::User("u2".into()));
    let (a1, a2) = (Owner::Device("a1".into()), Owner::Device("a2".into()));
    let acme = Owner::Account("acme".into());
    store
        .put_events(&[
            page("p1", "a1", 1),
            page("p2", "a2", 2),
            track("t1", "u1", 3),
            track("t2", "u2", 4),
        ])
        .await
        .unwrap();
    // a2 belongs to u2; u1's later claim on it is a conflict, which goes.
    store
        .link_all(&[
            claim("a1", "u1", 1),
            claim("a2", "u2", 2),
            claim("a2", "u1", 5),
        ])
        .await
        .unwrap();
    store
        .commit_devices(&[devices_change("a1", &["p1"]), devices_change("a2", &["p2"])])
        .await
        .unwrap();
    store
        .put_markers(&[
            marker(u1.clone(), MarkerKind::Conversion, "t1", at(3)),
            marker(a1.clone(), MarkerKind::Lead, "l1", at(2)),
            marker(u2.clone(), MarkerKind::Conversion, "t2", at(4)),
            // The account's deals: one sent by u1, one by u2.
            marker(acme.clone(), MarkerKind::Conversion, "d1", at(5)),
            marker(acme.clone(), MarkerKind::Conversion, "d2", at(6)),
        ])
        .await
        .unwrap();
    let mut other = conversion("t2", "Email", 1.0);
    other.owner = u2.clone();
    store
        .commit_ledger(&[
            entry(LedgerEntry::Conversion(conversion("t1", "Email", 1.0))),
            entry(LedgerEntry::Conversion(other)),
            entry(LedgerEntry::Journey(u1.clone(), JourneyLedger::default())),
            entry(LedgerEntry::Journey(u2.clone(), JourneyLedger::default())),
        ])
        .await
        .unwrap();

    store
        .join(&[membership("acme", "u1", 1), membership("acme", "u2", 2)])
        .await
        .unwrap();
    let erasure = Erasure {
        user: "u1".into(),
        devices: vec!["a1".into()],
        conversions: vec!["t1".into(), "d1".into()],
        accounts: vec!["acme".into()],
    };
    let erased = store.erase(&erasure).await.unwrap();
    assert_eq!(
        erased,
        Erased {
            events: 2,
            claims: 2,
            memberships: 1,
            touches: 1,
            markers: 3,
            ledger: 2,
        }
    );

    assert!(store.device_events("a1").await.unwrap().is_empty());
    assert!(store.user_events("u1", &[]).await.unwrap().is_empty());
    assert_eq!(store.user_of("a1").await.unwrap(), None);
    assert!(store.devices_of("u1").await.unwrap().is_empty());
    assert!(store.conflicts_of("u2").await.unwrap().is_empty());
    assert!(store.accounts_of("u1").await.unwrap().is_empty());
    assert_eq!(
        store.members_of("acme").await.unwrap(),
        [membership("acme", "u2", 2)]
    );
    assert_eq!(
        store.device_states(&["a1".into()]).await.unwrap(),
        [None],
        "the device starts afresh should it come back"
    );
    assert!(store.device_touches("a1").await.unwrap().is_empty());
    let all = [u1.clone(), a1.clone(), u2.clone(), a2.clone(), acme];
    let markers = store.markers_of(&all, at(0), at(59)).await.unwrap();
    assert_eq!(
        markers
            .iter()
            .map(|m| m.message_id.as_str())
            .collect::<Vec<_>>(),
        ["t2", "d2"],
        "the deal the user sent goes, the account's other deal stays"
    );
    let ledgers = store
        .conversion_ledgers(&["t1".into(), "t2".into()])
        .await
        .unwrap();
    assert!(ledgers[0].is_none() && ledgers[1].is_some());
    let journeys = store.journey_ledgers(&[u1, u2]).await.unwrap();
    assert!(journeys[0].is_none() && journeys[1].is_some());

    // Everyone else's data stays.
    assert_eq!(ids(&store.device_events("a2").await.unwrap()), ["p2"]);
    assert_eq!(ids(&store.user_events("u2", &[]).await.unwrap()), ["t2"]);
    assert_eq!(store.user_of("a2").await.unwrap().as_deref(), Some("u2"));
    assert_eq!(store.device_touches("a2").await.unwrap().len(), 1);

    let asked = ["p1", "t1", "p2", "t2", "never"].map(str::to_owned);
    assert_eq!(
        store.erased(&asked).await.unwrap(),
        [true, true, false, false, false],
        "a digest of each erased message, nothing of the others"
    );
    assert_eq!(
        store.erase(&erasure).await.unwrap(),
        Erased::default(),
        "erasing again removes nothing more"
    );
}
