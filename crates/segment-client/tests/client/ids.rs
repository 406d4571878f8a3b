//! Message ids are a function of the facts: the same facts give the same id, different
//! facts a different one.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use segment_client::{Message, message_id};
use serde_json::{Map, Value};

/// The inputs of one message; maps are ordered so that equal facts compare equal.
#[derive(Debug, Clone, PartialEq)]
struct Facts {
    track_event: Option<String>,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    payload: BTreeMap<String, Value>,
    timestamp: DateTime<Utc>,
}

impl Facts {
    fn build(&self) -> Message {
        let payload: Map<String, Value> = self.payload.clone().into_iter().collect();
        match &self.track_event {
            Some(event) => Message::track(
                event,
                self.user_id.clone(),
                self.anonymous_id.clone(),
                payload,
                self.timestamp,
            ),
            None => Message::identify(
                self.user_id.clone().unwrap(),
                self.anonymous_id.clone(),
                payload,
                self.timestamp,
            ),
        }
        .unwrap()
    }

    fn id(&self) -> String {
        self.build().message_id().to_owned()
    }
}

fn id() -> impl Strategy<Value = String> {
    "[a-z0-9-]{1,6}"
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z ]{0,6}".prop_map(Value::from),
    ]
}

fn facts() -> impl Strategy<Value = Facts> {
    (
        prop::option::of("[A-Za-z][A-Za-z ]{0,5}"),
        prop::option::of(id()),
        prop::option::of(id()),
        prop::collection::btree_map("[a-z_]{1,4}", value(), 0..4),
        0i64..4_000_000_000,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
    )
        .prop_filter_map(
            "identify needs a userId, track any id",
            |(track_event, user_id, anonymous_id, payload, secs, nanos)| {
                let has_ids =
                    user_id.is_some() || (track_event.is_some() && anonymous_id.is_some());
                has_ids.then(|| Facts {
                    track_event,
                    user_id,
                    anonymous_id,
                    payload,
                    timestamp: Utc.timestamp_opt(secs, nanos).unwrap(),
                })
            },
        )
}

proptest! {
    #[test]
    fn same_facts_same_id(facts in facts()) {
        prop_assert_eq!(facts.id(), facts.clone().id());
    }

    #[test]
    fn different_facts_different_ids(a in facts(), b in facts()) {
        prop_assume!(a != b);
        prop_assert_ne!(a.id(), b.id());
    }

    #[test]
    fn a_changed_timestamp_changes_the_id(facts in facts(), nanos in 1i64..1_000_000) {
        let mut later = facts.clone();
        later.timestamp += chrono::Duration::nanoseconds(nanos);
        prop_assert_ne!(facts.id(), later.id());
    }

    #[test]
    fn part_lists_map_to_ids_injectively(
        a in prop::collection::vec(".{0,4}", 0..5),
        b in prop::collection::vec(".{0,4}", 0..5),
    ) {
        let (ra, rb): (Vec<&str>, Vec<&str>) =
            (a.iter().map(String::as_str).collect(), b.iter().map(String::as_str).collect());
        prop_assert_eq!(message_id(&ra), message_id(&ra.clone()));
        prop_assert_eq!(a == b, message_id(&ra) == message_id(&rb));
    }
}
