//! Markers: stored once per messageId, read by carrier and time.

use chrono::{DateTime, Utc};

use crate::{Marker, MarkerKind, Owner, Store};

use super::at;

pub fn marker(carrier: Owner, kind: MarkerKind, id: &str, at: DateTime<Utc>) -> Marker {
    Marker {
        carrier,
        kind,
        timestamp: at,
        message_id: id.into(),
        event: "Signed Up".into(),
        value: (kind == MarkerKind::Conversion).then_some(49.5),
    }
}

pub async fn reads_markers_by_carrier_and_time(store: impl Store) {
    let user = Owner::User("u1".into());
    let device = Owner::Device("a1".into());
    let other = Owner::Device("a2".into());
    let markers = [
        marker(user.clone(), MarkerKind::Conversion, "c2", at(20)),
        marker(device.clone(), MarkerKind::Lead, "l1", at(5)),
        marker(device.clone(), MarkerKind::Conversion, "c1", at(10)),
        marker(other.clone(), MarkerKind::Conversion, "c9", at(10)),
        marker(user.clone(), MarkerKind::Opportunity, "o1", at(30)),
    ];
    store.put_markers(&markers).await.unwrap();
    // Stored once: a second delivery changes nothing.
    store.put_markers(&markers[..2]).await.unwrap();

    let carriers = [user.clone(), device.clone()];
    let found = store.markers_of(&carriers, at(0), at(59)).await.unwrap();
    let ids: Vec<&str> = found.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(
        ids,
        ["l1", "c1", "c2", "o1"],
        "time order, other carriers left out"
    );
    assert_eq!(found[1], markers[2], "read back as stored");
    let some = store.markers_of(&carriers, at(10), at(30)).await.unwrap();
    let ids: Vec<&str> = some.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2"], "[from, to)");
    assert!(
        store
            .markers_of(&[], at(0), at(59))
            .await
            .unwrap()
            .is_empty()
    );
}
