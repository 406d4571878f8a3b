//! Webhook / Tracking API bodies: `parse_body` never panics, accounts for every
//! element of a body, keeps its promises on each message (id length, size, raw
//! text that rebuilds the same message), and the signature check agrees with
//! `sign` whatever the secret and body.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use sma_spec::{
    Item, MAX_MESSAGE_BYTES, MAX_MESSAGE_ID_CHARS, Message, MessageType, ParseOptions, parse_body,
    sign, verify_signature,
};

const IMPLIED: [Option<MessageType>; 7] = [
    None,
    Some(MessageType::Page),
    Some(MessageType::Screen),
    Some(MessageType::Track),
    Some(MessageType::Identify),
    Some(MessageType::Alias),
    Some(MessageType::Group),
];

fn received() -> DateTime<Utc> {
    DateTime::from_timestamp(1_714_564_800, 0).expect("valid time")
}

fn check(body: &[u8], implied: Option<MessageType>) {
    let opts = ParseOptions {
        implied_type: implied,
        received_at: received(),
    };
    let Ok(items) = parse_body(body, opts) else {
        return;
    };
    // An array body yields exactly one item per element.
    if let Ok(text) = std::str::from_utf8(body)
        && text.trim_start().starts_with('[')
        && let Ok(elements) = serde_json_elements(text)
    {
        assert_eq!(items.len(), elements, "one item per array element");
    }
    for (position, item) in items.iter().enumerate() {
        match item {
            Item::Message(m) => check_message(m),
            Item::Ignored { index } => assert_eq!(*index, position),
            Item::Rejected(r) => {
                assert_eq!(r.index, position);
                assert!(!r.error.is_empty());
            }
        }
    }
}

/// The number of elements of a JSON array, read by serde_json alone.
fn serde_json_elements(text: &str) -> Result<usize, serde_json::Error> {
    serde_json::from_str::<Vec<serde::de::IgnoredAny>>(text).map(|v| v.len())
}

fn check_message(m: &Message) {
    assert!(!m.message_id.is_empty(), "messageId present");
    assert!(m.message_id.chars().count() <= MAX_MESSAGE_ID_CHARS);
    assert!(m.anonymous_id.is_some() || m.user_id.is_some());
    assert!(m.raw.len() <= MAX_MESSAGE_BYTES);
    if let Some(v) = m.value {
        assert!(v.is_finite());
    }
    if !m.message_type.is_view() {
        assert!(m.url.is_none() && m.referrer.is_none());
    }
    // What the store keeps (raw text, type, resolved time) rebuilds the message.
    let rebuilt = Message::from_stored(&m.raw, m.message_type, m.timestamp)
        .expect("a stored message reads back");
    assert_eq!(&rebuilt, m, "stored message reads back unchanged");
}

fn check_signature(data: &[u8]) {
    // The first byte says how much of the input is the secret.
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (secret, body) = rest.split_at((n as usize % 65).min(rest.len()));
    let signature = sign(secret, body);
    assert_eq!(signature.len(), 40);
    assert!(verify_signature(secret, body, &signature));
    assert!(verify_signature(
        secret,
        body,
        &signature.to_ascii_uppercase()
    ));
    assert!(verify_signature(secret, body, &format!(" {signature}\t")));
    // Any text as a signature: answers, never panics.
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = verify_signature(secret, body, text);
        let _ = verify_signature(secret, b"[]", text);
    }
}

/// The array path: a signature of an array's first element authenticates
/// the body only when that element is all of it (Segment's batching signs the
/// first element alone; the elements after it would be unsigned).
fn check_array_signature(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(elements) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text) else {
        return;
    };
    let Some(first) = elements.first() else {
        return;
    };
    let signature = sign(b"secret", first.get().as_bytes());
    let verified = verify_signature(b"secret", data, &signature);
    assert_eq!(verified, elements.len() == 1, "{text}");
}

fuzz_target!(|data: &[u8]| {
    check(data, None);
    check(data, IMPLIED[data.len() % IMPLIED.len()]);
    check_signature(data);
    check_array_signature(data);
});
