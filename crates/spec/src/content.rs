//! Whether two messages under one messageId are the same message. A retried
//! delivery repeats the message, though a library may stamp a new `sentAt`
//! and Segment a new `receivedAt` (and a `timestamp` corrected by them, when
//! the client's own time is in `originalTimestamp`). Anything else that
//! differs makes it another message reusing the id: sma refuses it with a
//! reason instead of dropping it unseen as a duplicate.

use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::Message;

/// Fields a retry of the same message may change.
const TRANSPORT: [&str; 4] = ["sentAt", "receivedAt", "_metadata", "writeKey"];

/// A digest of what a message says (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentDigest([u8; 20]);

impl Message {
    /// What the message says, without what a retry may change.
    pub fn content_digest(&self) -> ContentDigest {
        let mut text = String::with_capacity(self.raw.len());
        match serde_json::from_str::<Value>(&self.raw) {
            Ok(Value::Object(mut fields)) => {
                for name in TRANSPORT {
                    fields.remove(name);
                }
                if fields.contains_key("originalTimestamp") {
                    fields.remove("timestamp");
                }
                canonical(&Value::Object(fields), &mut text);
            }
            // A stored message is always an object; anything else compares as is.
            _ => text.push_str(&self.raw),
        }
        // The type and time a Tracking API path or the arrival supplied.
        text.push_str(self.message_type.as_str());
        ContentDigest(Sha1::digest(text.as_bytes()).into())
    }

    /// Whether `other` (stored under the same messageId) is this message.
    pub fn same_content(&self, other: &Message) -> bool {
        self.content_digest() == other.content_digest()
    }
}

/// What taking in a message comes to, against the message taken in earlier
/// under its messageId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Its id is new.
    New,
    /// A retry: the message taken in before, again.
    Duplicate,
    /// Another message under an id already taken: refused.
    ReusedId,
    /// A retry of a message erased since (its user was deleted): taken as a
    /// duplicate, never stored or run again.
    Erased,
}

impl Intake {
    /// `message` against the digest of the one taken in earlier under its
    /// id, if any.
    pub fn against(message: &Message, earlier: Option<ContentDigest>) -> Intake {
        match earlier {
            None => Intake::New,
            Some(digest) if digest == message.content_digest() => Intake::Duplicate,
            Some(_) => Intake::ReusedId,
        }
    }
}

/// JSON with object keys in order, whatever order the map keeps them in.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use crate::{Item, ParseOptions, parse_body};

    fn message(value: serde_json::Value) -> crate::Message {
        let opts = ParseOptions {
            implied_type: None,
            received_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
        };
        match parse_body(value.to_string().as_bytes(), opts)
            .unwrap()
            .remove(0)
        {
            Item::Message(m) => m,
            other => panic!("{other:?}"),
        }
    }

    fn page() -> serde_json::Value {
        json!({"type": "page", "messageId": "m1", "anonymousId": "a1",
               "timestamp": "2024-05-01T10:00:00Z", "sentAt": "2024-05-01T10:00:01Z",
               "properties": {"url": "https://acme.io/", "title": "Acme"}})
    }

    #[test]
    fn a_retry_is_the_same_message_whatever_its_transport_fields_and_key_order() {
        let mut retry = page();
        retry["sentAt"] = json!("2024-05-01T10:05:00Z");
        retry["receivedAt"] = json!("2024-05-01T10:05:01Z");
        retry["_metadata"] = json!({"bundled": ["Segment.io"]});
        let reordered: serde_json::Value = serde_json::from_str(
            r#"{"properties": {"title": "Acme", "url": "https://acme.io/"}, "timestamp": "2024-05-01T10:00:00Z",
                "anonymousId": "a1", "messageId": "m1", "type": "page", "sentAt": "2024-05-01T10:00:01Z"}"#,
        )
        .unwrap();
        assert!(message(page()).same_content(&message(retry)));
        assert!(message(page()).same_content(&message(reordered)));
    }

    #[test]
    fn another_message_under_the_id_differs() {
        for (field, value) in [
            ("anonymousId", json!("a2")),
            ("timestamp", json!("2024-05-01T11:00:00Z")),
            ("properties", json!({"url": "https://evil.io/"})),
            ("userId", json!("u1")),
        ] {
            let mut other = page();
            other[field] = value;
            assert!(!message(page()).same_content(&message(other)), "{field}");
        }
    }
}
