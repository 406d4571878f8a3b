//! Device derivation: states written only over the version read, touches put
//! and removed with them, and the ranges a late event re-reads.

use serde_json::json;

use crate::{DeviceChange, Json, Store, TouchRecord, Versioned};

use super::{at, ids, page};

pub fn touch(device: &str, id: &str, minute: u32) -> TouchRecord {
    TouchRecord {
        device: device.into(),
        timestamp: at(minute),
        message_id: id.into(),
        touch: json!({"channel": "Organic Search", "message_id": id}).into(),
    }
}

fn state(n: u32) -> Json {
    json!({"last": n}).into()
}

fn change(device: &str, expected: Option<u64>, n: u32) -> DeviceChange {
    DeviceChange {
        device: device.into(),
        expected,
        state: state(n),
        put: Vec::new(),
        remove: Vec::new(),
    }
}

pub async fn writes_device_states_only_over_the_version_read(store: impl Store) {
    let devices = ["a1".to_owned(), "a2".to_owned()];
    assert_eq!(store.device_states(&devices).await.unwrap(), [None, None]);

    let mut first = change("a1", None, 1);
    first.put = vec![touch("a1", "p1", 1)];
    assert_eq!(store.commit_devices(&[first]).await.unwrap(), [true]);
    assert_eq!(
        store.device_states(&devices).await.unwrap(),
        [
            Some(Versioned {
                version: 1,
                value: state(1)
            }),
            None
        ]
    );
    assert_eq!(
        store.device_touches("a1").await.unwrap(),
        [touch("a1", "p1", 1)]
    );

    // A writer that read no state, or an older one, loses; the stored state stays.
    let stale = [change("a1", None, 9), change("a2", None, 2)];
    assert_eq!(store.commit_devices(&stale).await.unwrap(), [false, true]);
    let mut second = change("a1", Some(1), 3);
    second.put = vec![touch("a1", "p3", 3)];
    second.remove = vec![touch("a1", "p1", 1)];
    assert_eq!(store.commit_devices(&[second]).await.unwrap(), [true]);
    assert_eq!(
        store
            .commit_devices(&[change("a1", Some(1), 4)])
            .await
            .unwrap(),
        [false]
    );
    let states = store.device_states(&devices).await.unwrap();
    assert_eq!(
        states[0].as_ref().map(|s| (s.version, &s.value)),
        Some((2, &state(3)))
    );
    assert_eq!(states[1].as_ref().map(|s| s.version), Some(1));
    assert_eq!(
        store.device_touches("a1").await.unwrap(),
        [touch("a1", "p3", 3)],
        "put and removed with the state"
    );
    assert!(store.device_touches("a2").await.unwrap().is_empty());
}

pub async fn a_touch_put_again_replaces_the_stored_one(store: impl Store) {
    let mut first = change("a1", None, 1);
    first.put = vec![touch("a1", "p1", 1), touch("a1", "p2", 2)];
    store.commit_devices(&[first]).await.unwrap();
    let mut anew = touch("a1", "p1", 1);
    anew.touch = json!({"channel": "Paid Search", "message_id": "p1"}).into();
    let mut second = change("a1", Some(1), 2);
    second.put = vec![anew.clone()];
    second.remove = vec![touch("a1", "nothing-stored", 5)];
    assert_eq!(store.commit_devices(&[second]).await.unwrap(), [true]);
    assert_eq!(
        store.device_touches("a1").await.unwrap(),
        [anew, touch("a1", "p2", 2)]
    );
    assert!(store.commit_devices(&[]).await.unwrap().is_empty());
}

pub async fn reads_a_devices_events_and_touches_in_a_range(store: impl Store) {
    store
        .put_events(&[
            page("p1", "a1", 1),
            page("p2", "a1", 2),
            page("p3", "a1", 3),
            page("q2", "a2", 2),
        ])
        .await
        .unwrap();
    let events = store
        .device_events_between("a1", at(2), at(3))
        .await
        .unwrap();
    assert_eq!(ids(&events), ["p2"], "[from, to)");
    let events = store
        .device_events_between("a1", at(0), at(9))
        .await
        .unwrap();
    assert_eq!(ids(&events), ["p1", "p2", "p3"]);
    assert!(
        store
            .device_events_between("a3", at(0), at(9))
            .await
            .unwrap()
            .is_empty()
    );

    let mut change = change("a1", None, 1);
    change.put = vec![
        touch("a1", "p1", 1),
        touch("a1", "p2", 2),
        touch("a1", "p3", 3),
    ];
    store.commit_devices(&[change]).await.unwrap();
    let touches = store
        .device_touches_between("a1", at(2), at(4))
        .await
        .unwrap();
    assert_eq!(touches, [touch("a1", "p2", 2), touch("a1", "p3", 3)]);
    assert!(
        store
            .device_touches_between("a1", at(4), at(9))
            .await
            .unwrap()
            .is_empty()
    );
    let ranges = [
        ("a1".to_owned(), at(3), at(9)),
        ("a2".to_owned(), at(0), at(9)),
        ("a1".to_owned(), at(0), at(2)),
    ];
    assert_eq!(
        store.touches_between(&ranges).await.unwrap(),
        [
            vec![touch("a1", "p3", 3)],
            vec![],
            vec![touch("a1", "p1", 1)]
        ]
    );
}
