//! The bulk writes of an import: several claims at once, touches written only
//! where the caller saw every stored event.

use crate::{Claim, DeviceTouches, LinkOutcome, Store};
use sma_spec::IdentityLink;

use super::{at, page, touch};

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

pub async fn replaces_touches_only_where_every_event_was_seen(store: impl Store) {
    store
        .put_events(&[
            page("p1", "a1", 1),
            page("p2", "a1", 2),
            page("p3", "a2", 3),
        ])
        .await
        .unwrap();
    store
        .replace_touches("a2", &[touch("a2", "old", 1)])
        .await
        .unwrap();
    let sets = [
        DeviceTouches {
            device: "a1".into(),
            events: 2,
            touches: vec![touch("a1", "p1", 1)],
        },
        // a2's stored event was not seen: its touches must stay as they are.
        DeviceTouches {
            device: "a2".into(),
            events: 0,
            touches: vec![],
        },
    ];
    let replaced = store.replace_touches_where_complete(&sets).await.unwrap();
    assert!(replaced.incomplete.contains(&"a2".to_owned()));
    assert_eq!(
        store.device_touches("a2").await.unwrap(),
        [touch("a2", "old", 1)],
        "an incomplete set is not written"
    );
    // An adapter may leave a complete set to the caller too, never half-write it.
    let a1 = store.device_touches("a1").await.unwrap();
    if replaced.incomplete.contains(&"a1".to_owned()) {
        assert!(a1.is_empty());
        assert_eq!(replaced.new_touches, 0);
    } else {
        assert_eq!(a1, [touch("a1", "p1", 1)]);
        assert_eq!(replaced.new_touches, 1);
    }
}
