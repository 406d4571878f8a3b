//! Intake as one call: a body's messages, claims and the touches of the devices
//! it viewed, derived from each device's whole history including the body.

use std::sync::{Arc, Mutex};

use crate::{Claim, Intake, LinkOutcome, Store, TouchRecord};
use sma_spec::{IdentityLink, Message};

use super::{at, page, touch};

/// One touch per page of the history; remembers each history it was given.
fn derive_recording(
    seen: Arc<Mutex<Vec<Vec<String>>>>,
) -> impl Fn(&[Message]) -> Vec<TouchRecord> + Send + Sync + 'static {
    move |history: &[Message]| {
        let ids: Vec<String> = history.iter().map(|m| m.message_id.clone()).collect();
        seen.lock().unwrap().push(ids);
        history
            .iter()
            .map(|m| {
                let device = m.anonymous_id.as_deref().unwrap();
                let minute = m.timestamp.format("%M").to_string().parse().unwrap();
                touch(device, &m.message_id, minute)
            })
            .collect()
    }
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

pub async fn takes_a_body_in_one_intake_and_its_retry_changes_nothing(store: impl Store) {
    // An event stored earlier is part of the device's history.
    store.put_events(&[page("m0", "a1", 1)]).await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let body = Intake {
        messages: vec![page("m2", "a1", 5), page("m1", "a1", 3)],
        claims: vec![claim("a1", "u1", 5, "i1")],
        devices: vec!["a1".into()],
    };

    let done = store
        .intake(body.clone(), derive_recording(Arc::clone(&seen)))
        .await
        .unwrap();
    assert_eq!(done.inserted, [true, true]);
    let applied = done.applied.await.unwrap();
    assert_eq!(applied.links, [LinkOutcome::Linked]);
    let new: Vec<&str> = applied
        .new_touches
        .iter()
        .map(|t| t.message_id.as_str())
        .collect();
    assert_eq!(new, ["m0", "m1", "m2"]);
    assert_eq!(seen.lock().unwrap().as_slice(), [["m0", "m1", "m2"]]);
    assert_eq!(store.devices_of("u1").await.unwrap(), ["a1"]);
    assert_eq!(store.device_touches("a1").await.unwrap().len(), 3);

    // Segment's retry of the same body: nothing new anywhere.
    let again = store
        .intake(body, derive_recording(Arc::clone(&seen)))
        .await
        .unwrap();
    assert_eq!(again.inserted, [false, false]);
    let again = again.applied.await.unwrap();
    assert_eq!(again.links, [LinkOutcome::Unchanged]);
    assert!(again.new_touches.is_empty());
    assert_eq!(store.device_events("a1").await.unwrap().len(), 3);
}

pub async fn intake_without_devices_derives_nothing(store: impl Store) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let body = Intake {
        messages: vec![page("m1", "a1", 3)],
        claims: vec![claim("a1", "u1", 3, "i1"), claim("a1", "u2", 4, "i2")],
        devices: Vec::new(),
    };
    let done = store
        .intake(body, derive_recording(Arc::clone(&seen)))
        .await
        .unwrap();
    assert_eq!(done.inserted, [true]);
    let done = done.applied.await.unwrap();
    assert_eq!(
        done.links,
        [
            LinkOutcome::Linked,
            LinkOutcome::Conflict { owner: "u1".into() }
        ]
    );
    assert!(done.new_touches.is_empty());
    assert!(seen.lock().unwrap().is_empty());
    assert!(store.device_touches("a1").await.unwrap().is_empty());
}
