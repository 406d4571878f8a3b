//! Property versions of the fuzz targets (`fuzz/fuzz_targets/parse_body.rs`), run in
//! the normal suite: generated valid messages survive every body form unchanged,
//! junk beside them is rejected by position without losing them, what is stored
//! rebuilds the same message, and the signature check agrees with `sign`.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sma_spec::{Item, Message, MessageType, ParseOptions, parse_body, sign, verify_signature};

fn opts() -> ParseOptions {
    ParseOptions {
        implied_type: None,
        received_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
    }
}

/// What a generated message should read back as.
#[derive(Debug, Clone)]
struct Expected {
    kind: MessageType,
    id: String,
    anonymous_id: Option<String>,
    user_id: Option<String>,
    timestamp: DateTime<Utc>,
    url: Option<String>,
    event: Option<String>,
}

fn id_text() -> impl Strategy<Value = String> {
    // Ids as Segment's libraries make them (placeholders such as `0` parse too:
    // they only never link).
    "[A-Za-z0-9][A-Za-z0-9_.:@-]{0,40}"
}

/// A valid message of any type, with optional noise fields Segment adds.
fn message() -> impl Strategy<Value = (Value, Expected)> {
    let kind = prop::sample::select(vec![
        MessageType::Page,
        MessageType::Screen,
        MessageType::Track,
        MessageType::Identify,
        MessageType::Alias,
        MessageType::Group,
    ]);
    let ids = prop_oneof![
        (id_text(), Just(None)).prop_map(|(a, u)| (Some(a), u)),
        (Just(None), id_text()).prop_map(|(a, u)| (a, Some(u))),
        (id_text(), id_text()).prop_map(|(a, u)| (Some(a), Some(u))),
    ];
    // From 2000 to the day after `opts().received_at`: the plausible window.
    let time = (946_684_800i64..1_714_600_000, 0u32..1000);
    let url = prop::option::of(
        "https://[a-z]{1,10}\\.(io|com|de)/[a-z/]{0,12}(\\?utm_source=[a-z]{1,8})?",
    );
    let noise = prop::collection::btree_map("[a-z]{1,8}", any::<i32>(), 0..4);
    (
        kind,
        "[A-Za-z0-9-]{1,100}",
        ids,
        time,
        url,
        "[A-Z][a-z]{0,10}( [A-Z][a-z]{0,10})?",
        noise,
        any::<bool>(),
    )
        .prop_map(|(kind, id, (anon, user), (secs, millis), url, event, noise, original)| {
            let timestamp = DateTime::from_timestamp(secs, millis * 1_000_000).unwrap();
            let mut m = Map::new();
            m.insert("type".into(), json!(kind.as_str()));
            m.insert("messageId".into(), json!(id));
            if let Some(a) = &anon {
                m.insert("anonymousId".into(), json!(a));
            }
            let user = if kind == MessageType::Alias && user.is_none() {
                Some(format!("u-{id}"))
            } else {
                user
            };
            if let Some(u) = &user {
                m.insert("userId".into(), json!(u));
            }
            if kind == MessageType::Alias {
                m.insert("previousId".into(), json!(format!("p-{id}")));
            }
            // `timestamp` or, without it, `originalTimestamp`, in Segment's format.
            let field = if original { "originalTimestamp" } else { "timestamp" };
            m.insert(
                field.into(),
                json!(timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            );
            let event = (kind == MessageType::Track).then_some(event);
            if let Some(e) = &event {
                m.insert("event".into(), json!(e));
            }
            let url = url.filter(|_| kind.is_view());
            if let Some(u) = &url {
                m.insert("context".into(), json!({"page": {"url": u, "referrer": ""}, "library": {"name": "analytics.js"}}));
            }
            m.insert("properties".into(), json!(noise));
            let expected = Expected {
                kind,
                id,
                anonymous_id: anon,
                user_id: user,
                timestamp,
                url,
                event,
            };
            (Value::Object(m), expected)
        })
}

/// JSON values that are not valid messages.
fn junk() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z ]{0,12}".prop_map(|s| json!(s)),
        Just(Value::Null),
        Just(json!([])),
        Just(json!({})),
        "[a-z]{1,8}"
            .prop_map(|t| json!({"type": format!("x{t}"), "messageId": "m", "userId": "u"})),
        Just(json!({"type": "page", "anonymousId": "a"})),
        Just(json!({"type": "track", "messageId": "m", "userId": "u"})),
        Just(json!({"type": "page", "messageId": "m"})),
        Just(json!({"type": "page", "messageId": "m", "userId": "u", "timestamp": "soon"})),
        Just(json!({"type": "page", "messageId": "x".repeat(101), "userId": "u"})),
    ]
}

fn check(message: &Message, expected: &Expected) -> Result<(), TestCaseError> {
    prop_assert_eq!(message.message_type, expected.kind);
    prop_assert_eq!(&message.message_id, &expected.id);
    prop_assert_eq!(&message.anonymous_id, &expected.anonymous_id);
    prop_assert_eq!(&message.user_id, &expected.user_id);
    prop_assert_eq!(message.timestamp, expected.timestamp);
    prop_assert_eq!(&message.url, &expected.url);
    prop_assert_eq!(&message.event, &expected.event);
    // What the store keeps rebuilds the same message.
    let rebuilt = Message::from_stored(&message.raw, message.message_type, message.timestamp);
    prop_assert_eq!(rebuilt.as_ref(), Ok(message));
    Ok(())
}

fn messages(items: &[Item]) -> Vec<&Message> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// One message, an array of them and a Tracking API batch read the same.
    #[test]
    fn every_body_form_reads_the_same_messages(generated in prop::collection::vec(message(), 1..8)) {
        let (values, expected): (Vec<Value>, Vec<Expected>) = generated.into_iter().unzip();
        let array = parse_body(Value::Array(values.clone()).to_string().as_bytes(), opts()).unwrap();
        let batch = parse_body(json!({"batch": values, "sentAt": "2024-05-01T12:00:00Z"}).to_string().as_bytes(), opts()).unwrap();
        prop_assert_eq!(messages(&array).len(), values.len());
        prop_assert_eq!(&array, &batch);
        for ((value, item), want) in values.iter().zip(&array).zip(&expected) {
            // A body of one message is read in one pass, not the general one.
            let single = parse_body(value.to_string().as_bytes(), opts()).unwrap();
            prop_assert_eq!(&single, &vec![item.clone()]);
            let Item::Message(m) = item else { panic!("valid message rejected: {item:?}") };
            check(m, want)?;
            // Pretty-printed bodies (other whitespace, same JSON) read the same.
            let pretty = parse_body(serde_json::to_string_pretty(value).unwrap().as_bytes(), opts()).unwrap();
            let Item::Message(p) = &pretty[0] else { panic!("pretty body rejected") };
            prop_assert_eq!(&p.message_id, &m.message_id);
            prop_assert_eq!(p.timestamp, m.timestamp);
        }
    }

    /// Junk beside valid messages is rejected at its own index; no valid message
    /// is lost and every element is accounted for once.
    #[test]
    fn junk_never_loses_good_messages(
        parts in prop::collection::vec(prop_oneof![message().prop_map(Ok), junk().prop_map(Err)], 1..12),
    ) {
        let values: Vec<Value> = parts.iter().map(|p| match p { Ok((v, _)) => v.clone(), Err(v) => v.clone() }).collect();
        let items = parse_body(Value::Array(values).to_string().as_bytes(), opts()).unwrap();
        prop_assert_eq!(items.len(), parts.len());
        for (index, (part, item)) in parts.iter().zip(&items).enumerate() {
            match (part, item) {
                (Ok((_, want)), Item::Message(m)) => check(m, want)?,
                (Err(junk), Item::Rejected(r)) => {
                    prop_assert_eq!(r.index, index);
                    prop_assert!(!r.error.is_empty());
                    // An object alone in a body is read in one pass, and rejected
                    // just as in an array.
                    if junk.is_object() {
                        let single = parse_body(junk.to_string().as_bytes(), opts()).unwrap();
                        let Item::Rejected(alone) = &single[0] else { panic!("{junk} accepted alone") };
                        prop_assert_eq!((&alone.message_id, &alone.error), (&r.message_id, &r.error));
                    }
                }
                (part, item) => prop_assert!(false, "element {index}: {part:?} gave {item:?}"),
            }
        }
    }

    /// `verify_signature` accepts exactly what `sign` made, in any case, for any
    /// secret and body; a changed body or signature fails.
    #[test]
    fn signatures_verify_and_tampering_fails(
        secret in prop::collection::vec(any::<u8>(), 0..80),
        body in prop::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
        digit in any::<prop::sample::Index>(),
    ) {
        let signature = sign(&secret, &body);
        prop_assert_eq!(signature.len(), 40);
        prop_assert!(verify_signature(&secret, &body, &signature));
        prop_assert!(verify_signature(&secret, &body, &signature.to_uppercase()));
        let mut changed = body.clone();
        if changed.is_empty() {
            changed.push(b'x');
        } else {
            let at = flip.index(changed.len());
            changed[at] ^= 0x01;
        }
        prop_assert!(!verify_signature(&secret, &changed, &signature));
        let mut wrong: Vec<char> = signature.chars().collect();
        let at = digit.index(wrong.len());
        wrong[at] = if wrong[at] == '0' { '1' } else { '0' };
        let wrong: String = wrong.into_iter().collect();
        prop_assert!(!verify_signature(&secret, &body, &wrong));
    }

    /// An array body verifies with the signature of its whole text, or of its
    /// only element's raw bytes (as Segment signs a batch of one); never with the
    /// signature of one of several elements, which does not vouch for the rest.
    #[test]
    fn array_bodies_verify_only_on_what_covers_every_element(
        secret in "[ -~]{1,40}",
        generated in prop::collection::vec(message(), 1..5),
    ) {
        let raws: Vec<String> = generated.iter().map(|(v, _)| v.to_string()).collect();
        let body = format!("[{}]", raws.join(",\n "));
        let whole = sign(secret.as_bytes(), body.as_bytes());
        prop_assert!(verify_signature(secret.as_bytes(), body.as_bytes(), &whole));
        for raw in &raws {
            let element = sign(secret.as_bytes(), raw.as_bytes());
            let verified = verify_signature(secret.as_bytes(), body.as_bytes(), &element);
            prop_assert_eq!(verified, raws.len() == 1);
        }
    }
}
