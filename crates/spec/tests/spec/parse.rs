//! Parsing and validation: every message type, every body form, every rejection.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use sma_spec::{
    BodyError, Deletion, Item, MAX_MESSAGE_BYTES, Message, MessageType, ParseOptions, parse_body,
};

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

fn opts() -> ParseOptions {
    ParseOptions {
        implied_type: None,
        received_at: received(),
    }
}

fn parse(body: &Value) -> Vec<Item> {
    parse_body(body.to_string().as_bytes(), opts()).expect("body parses")
}

fn one(body: Value) -> Message {
    match parse(&body).pop() {
        Some(Item::Message(m)) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn rejection(body: Value) -> String {
    match parse(&body).pop() {
        Some(Item::Rejected(r)) => r.error,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn page() -> Value {
    json!({
        "type": "page", "messageId": "m-page", "anonymousId": "a1",
        "timestamp": "2024-04-30T10:00:00.000Z", "name": "Pricing",
        "context": {
            "page": {"url": "https://example.com/pricing?utm_source=news", "referrer": "https://www.google.com/"},
            "campaign": {"source": "news", "medium": "email", "name": "spring"},
            "userAgent": "Mozilla/5.0"
        },
        "properties": {"url": "https://ignored.example/", "title": "Pricing"}
    })
}

#[test]
fn page_reads_context_page_before_properties() {
    let m = one(page());
    assert_eq!(m.message_type, MessageType::Page);
    assert_eq!(m.message_id, "m-page");
    assert_eq!(m.anonymous_id.as_deref(), Some("a1"));
    assert_eq!(m.name.as_deref(), Some("Pricing"));
    assert_eq!(
        m.url.as_deref(),
        Some("https://example.com/pricing?utm_source=news")
    );
    assert_eq!(m.referrer.as_deref(), Some("https://www.google.com/"));
    assert_eq!(m.campaign.medium.as_deref(), Some("email"));
    assert_eq!(m.campaign.name.as_deref(), Some("spring"));
    assert_eq!(
        m.timestamp,
        Utc.with_ymd_and_hms(2024, 4, 30, 10, 0, 0).unwrap()
    );
    assert!(
        m.raw.contains("\"userAgent\""),
        "raw message is kept verbatim"
    );
}

#[test]
fn screen_falls_back_to_properties_for_url_and_referrer() {
    let m = one(json!({
        "type": "screen", "messageId": "m-s", "userId": 7, "timestamp": "2024-04-30T10:00:00Z",
        "name": "Home", "properties": {"url": "app://home", "referrer": "https://t.co/x"}
    }));
    assert_eq!(m.message_type, MessageType::Screen);
    assert_eq!(
        m.user_id.as_deref(),
        Some("7"),
        "numeric user ids are accepted"
    );
    assert_eq!(m.url.as_deref(), Some("app://home"));
    assert_eq!(m.referrer.as_deref(), Some("https://t.co/x"));
}

#[test]
fn track_reads_event_and_value() {
    let m = one(json!({
        "type": "track", "messageId": "m-t", "userId": "u1", "event": "Order Completed",
        "timestamp": "2024-04-30T10:00:00+02:00", "properties": {"revenue": 49.5, "value": 1}
    }));
    assert_eq!(m.event.as_deref(), Some("Order Completed"));
    assert_eq!(m.value, Some(49.5), "revenue wins over value");
    assert_eq!(
        m.timestamp,
        Utc.with_ymd_and_hms(2024, 4, 30, 8, 0, 0).unwrap()
    );
    assert_eq!(m.url, None, "only page views carry a url");
    let m = one(json!({
        "type": "track", "messageId": "m-t2", "userId": "u1", "event": "Demo Request",
        "properties": {"value": "120"}
    }));
    assert_eq!(m.value, Some(120.0));
}

#[test]
fn identify_alias_and_group_parse_and_link() {
    let m = one(
        json!({"type": "identify", "messageId": "m-i", "anonymousId": "a1", "userId": "u1", "traits": {"email": "x@y.z"}}),
    );
    assert_eq!(m.message_type, MessageType::Identify);
    let link = m.identity_link().expect("identify links");
    assert_eq!(
        (link.anonymous_id.as_str(), link.user_id.as_str()),
        ("a1", "u1")
    );

    let m = one(json!({"type": "alias", "messageId": "m-a", "previousId": "a2", "userId": "u1"}));
    let link = m.identity_link().expect("alias links previousId");
    assert_eq!(link.anonymous_id, "a2");

    let m = one(json!({"type": "group", "messageId": "m-g", "userId": "u1", "groupId": "g1"}));
    assert_eq!(m.message_type, MessageType::Group);
    assert_eq!(m.identity_link(), None);

    let m = one(
        json!({"type": "track", "event": "X", "messageId": "m-b", "anonymousId": "a3", "userId": "u2"}),
    );
    assert!(m.identity_link().is_some(), "any event with both ids links");
}

#[test]
fn blocked_ids_never_link() {
    for bad in [
        "null",
        "undefined",
        "anonymous",
        "0",
        "-1",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let m =
            one(json!({"type": "identify", "messageId": "m", "anonymousId": bad, "userId": "u1"}));
        assert_eq!(m.identity_link(), None, "anonymousId {bad:?}");
        let m =
            one(json!({"type": "identify", "messageId": "m", "anonymousId": "a1", "userId": bad}));
        assert_eq!(m.identity_link(), None, "userId {bad:?}");
    }
}

#[test]
fn timestamp_falls_back_to_original_then_received_then_arrival() {
    let base = json!({"type": "page", "messageId": "m", "anonymousId": "a"});
    let with = |field: &str| {
        let mut v = base.clone();
        v[field] = json!("2023-01-02T03:04:05Z");
        one(v).timestamp
    };
    let expected = Utc.with_ymd_and_hms(2023, 1, 2, 3, 4, 5).unwrap();
    assert_eq!(with("timestamp"), expected);
    assert_eq!(with("originalTimestamp"), expected);
    assert_eq!(with("receivedAt"), expected);
    assert_eq!(one(base.clone()).timestamp, received());
    let mut both = base;
    both["timestamp"] = json!("2023-01-02T03:04:05Z");
    both["receivedAt"] = json!("2024-01-01T00:00:00Z");
    assert_eq!(
        one(both).timestamp,
        expected,
        "timestamp wins over receivedAt"
    );
}

#[test]
fn every_rejection_reason_is_named() {
    let cases = [
        (
            json!({"messageId": "m", "anonymousId": "a"}),
            "missing field `type`",
        ),
        (
            json!({"type": "pageview", "messageId": "m", "anonymousId": "a"}),
            "unknown type `pageview`",
        ),
        (
            json!({"type": "page", "anonymousId": "a"}),
            "missing field `messageId`",
        ),
        (
            json!({"type": "page", "messageId": "x".repeat(101), "anonymousId": "a"}),
            "the limit is 100",
        ),
        (
            json!({"type": "page", "messageId": "m"}),
            "one of `anonymousId` or `userId`",
        ),
        (
            json!({"type": "page", "messageId": "m", "anonymousId": "", "userId": null}),
            "one of `anonymousId` or `userId`",
        ),
        (
            json!({"type": "page", "messageId": "m", "anonymousId": "a", "timestamp": "yesterday"}),
            "invalid `timestamp`",
        ),
        (
            json!({"type": "page", "messageId": "m", "anonymousId": {"x": 1}}),
            "invalid `anonymousId`",
        ),
        (
            json!({"type": "track", "messageId": "m", "anonymousId": "a"}),
            "without `event`",
        ),
        (
            json!({"type": "alias", "messageId": "m", "userId": "u"}),
            "without `previousId`",
        ),
        (
            json!({"type": 5, "messageId": "m", "anonymousId": "a"}),
            "invalid `type`",
        ),
        (json!("just a string"), "not a JSON object"),
    ];
    for (body, expected) in cases {
        let body = json!([body]);
        let error = rejection(body.clone());
        assert!(
            error.contains(expected),
            "{body}: {error:?} should mention {expected:?}"
        );
    }
}

#[test]
fn oversized_message_is_rejected_and_its_neighbours_kept() {
    let mut big = page();
    big["messageId"] = json!("big");
    big["properties"]["blob"] = json!("x".repeat(MAX_MESSAGE_BYTES));
    let items = parse(&json!([page(), big]));
    assert!(matches!(items[0], Item::Message(_)));
    match &items[1] {
        Item::Rejected(r) => {
            assert_eq!(r.index, 1);
            assert_eq!(r.message_id.as_deref(), Some("big"));
            assert!(r.error.contains("32768"), "{}", r.error);
        }
        other => panic!("expected rejection, got {other:?}"),
    }
}

#[test]
fn three_body_forms_give_the_same_messages() {
    let single = parse(&page());
    let array = parse(&json!([page()]));
    let batch =
        parse(&json!({"batch": [page()], "sentAt": "2024-04-30T10:00:01Z", "writeKey": "k"}));
    assert_eq!(single.len(), 1);
    assert_eq!(single, array);
    assert_eq!(single, batch);
}

#[test]
fn delete_names_the_user_to_erase() {
    let items = parse(&json!([
        {"type": "delete", "userId": "u1", "messageId": "d1"},
        page(),
        {"type": "delete", "messageId": "d2"}
    ]));
    let deletion = Deletion {
        message_id: Some("d1".into()),
        user_id: "u1".into(),
    };
    assert_eq!(items[0], Item::Delete { index: 0, deletion });
    assert!(matches!(items[1], Item::Message(_)));
    match &items[2] {
        Item::Rejected(r) => assert!(r.error.contains("userId"), "{}", r.error),
        other => panic!("a delete without userId is rejected: {other:?}"),
    }
}

#[test]
fn implied_type_from_the_path() {
    let body = json!({"messageId": "m", "userId": "u", "event": "Signed Up"}).to_string();
    let items = parse_body(
        body.as_bytes(),
        ParseOptions {
            implied_type: Some(MessageType::Track),
            received_at: received(),
        },
    )
    .unwrap();
    match &items[0] {
        Item::Message(m) => assert_eq!(m.message_type, MessageType::Track),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unusable_bodies_are_errors_that_name_the_problem() {
    let err = |b: &[u8]| parse_body(b, opts()).unwrap_err();
    assert_eq!(err(b""), BodyError::Empty);
    assert_eq!(err(b"   "), BodyError::Empty);
    assert!(matches!(err(b"{\"type\": \"page\""), BodyError::Json(_)));
    assert!(matches!(err(b"not json"), BodyError::Json(_)));
    assert!(matches!(err(&[0xff, 0xfe]), BodyError::Json(_)));
    assert_eq!(err(b"42"), BodyError::Shape);
    assert_eq!(err(b"\"page\""), BodyError::Shape);
    assert_eq!(
        err(b"{\"batch\": {\"type\": \"page\"}}"),
        BodyError::BatchNotArray
    );
    let json_error = err(b"[{\"type\": }]").to_string();
    assert!(json_error.contains("line 1"), "{json_error}");
}

proptest! {
    /// Whatever arrives, parsing answers (never panics) and every element of an
    /// array is accounted for exactly once.
    #[test]
    fn parse_never_panics_and_accounts_for_every_item(body in ".{0,300}") {
        let _ = parse_body(body.as_bytes(), opts());
        let array = format!("[{body:?}, {{\"type\": \"page\", \"messageId\": \"m\", \"anonymousId\": \"a\"}}]");
        if let Ok(items) = parse_body(array.as_bytes(), opts()) {
            prop_assert_eq!(items.len(), 2);
            prop_assert!(matches!(items[1], Item::Message(_)));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_body(&body, opts());
    }
}

#[test]
fn the_account_a_message_names() {
    let group = one(
        json!({"type": "group", "messageId": "g", "userId": "u", "groupId": 42,
                           "traits": {"name": "Acme"}}),
    );
    assert_eq!(group.group_id.as_deref(), Some("42"));
    let from_context = one(json!({"type": "track", "messageId": "t1", "userId": "u",
        "event": "Deal Won", "context": {"groupId": "acme"}, "properties": {"groupId": "other"}}));
    assert_eq!(from_context.group_id.as_deref(), Some("acme"));
    let from_properties = one(json!({"type": "track", "messageId": "t2", "userId": "u",
        "event": "Deal Won", "properties": {"groupId": " acme ", "amount": 1200}}));
    assert_eq!(from_properties.group_id.as_deref(), Some("acme"));
    assert_eq!(from_properties.value, Some(1200.0), "amount is a value too");
    let none = one(
        json!({"type": "track", "messageId": "t3", "userId": "u", "event": "X",
                          "context": {"groupId": {"id": 1}}}),
    );
    assert_eq!(none.group_id, None, "a wrong type names no account");
}
