//! Segment's webhook signature: `X-Signature` is the lowercase hex
//! HMAC-SHA1(shared secret, raw body).
//!
//! For an array body (Webhooks (Actions) batching) Segment signs only the first
//! element's raw bytes. Such a signature says nothing of the elements after the
//! first: anyone who once saw one signed body could put it first and append
//! forged messages. So a signature authenticates a body only when it covers
//! every message in it: the whole body, or the only element of an array. A
//! batching destination authenticates with a bearer token instead.

use hmac::{Hmac, Mac};
use serde_json::value::RawValue;
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// Lowercase hex HMAC-SHA1 of `payload` under `secret`.
pub fn sign(secret: &[u8], payload: &[u8]) -> String {
    let mut mac = HmacSha1::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(payload);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `signature` (hex, any case) against `body` in constant time: true when
/// it signs the whole body, or the only element of an array body (as Segment
/// signs a batch of one). A signature of the first of several elements is no
/// signature of the body (see the module notes).
pub fn verify_signature(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Some(expected) = decode_hex(signature.trim()) else {
        return false;
    };
    let matches = |payload: &[u8]| {
        let mut mac = HmacSha1::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(payload);
        mac.verify_slice(&expected).is_ok()
    };
    matches(body) || only_element(body).is_some_and(|only| matches(only.as_bytes()))
}

fn only_element(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.trim_start().starts_with('[') {
        return None;
    }
    match serde_json::from_str::<Vec<&RawValue>>(text)
        .ok()?
        .as_slice()
    {
        [only] => Some(only.get()),
        _ => None,
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_documented_test_vector() {
        let body = br#"{"cool":true}"#;
        assert_eq!(
            sign(b"abc123", body),
            "5099cab379b3be52908387457007040cc934ef86"
        );
        assert!(verify_signature(
            b"abc123",
            body,
            "5099cab379b3be52908387457007040cc934ef86"
        ));
        assert!(verify_signature(
            b"abc123",
            body,
            "5099CAB379B3BE52908387457007040CC934EF86"
        ));
    }

    #[test]
    fn wrong_secret_body_or_garbage_fails() {
        let body = br#"{"cool":true}"#;
        let good = sign(b"abc123", body);
        assert!(!verify_signature(b"abc124", body, &good));
        assert!(!verify_signature(b"abc123", br#"{"cool":false}"#, &good));
        assert!(!verify_signature(b"abc123", body, "zz"));
        assert!(!verify_signature(b"abc123", body, ""));
        assert!(!verify_signature(b"abc123", body, &good[..38]));
    }

    #[test]
    fn an_array_is_signed_only_by_a_signature_that_covers_every_element() {
        let first = r#"{"type":"track","messageId":"m1"}"#;
        let lone = format!("[ {first} ]");
        let first_sig = sign(b"s3cret", first.as_bytes());
        assert!(verify_signature(b"s3cret", lone.as_bytes(), &first_sig));

        let appended = format!("[{first}, {{\"type\":\"page\"}}]");
        assert!(
            !verify_signature(b"s3cret", appended.as_bytes(), &first_sig),
            "a first element's signature does not vouch for what follows it"
        );
        let whole = sign(b"s3cret", appended.as_bytes());
        assert!(verify_signature(b"s3cret", appended.as_bytes(), &whole));
        let second_only = sign(b"s3cret", br#"{"type":"page"}"#);
        assert!(!verify_signature(
            b"s3cret",
            appended.as_bytes(),
            &second_only
        ));
    }
}
