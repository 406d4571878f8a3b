//! Deterministic message ids: UUID v5 of a message's content key.
//!
//! Segment deduplicates on `messageId`, so deriving the id from the facts a message states
//! makes re-sending the same facts idempotent downstream, while any change of fact yields
//! a new id.

use serde_json::{Map, Value};
use uuid::Uuid;

/// The namespace every sma message id lives in (a fixed, randomly drawn UUID: changing it
/// would change every id ever sent).
pub const SMA_NAMESPACE: Uuid = Uuid::from_u128(0xe0eb_3d8b_1483_48cd_b9fd_92a4_ae77_f999);

/// UUID v5 (under [`SMA_NAMESPACE`]) of the given parts, hyphenated lowercase.
///
/// Each part is length-prefixed before hashing, so no two different part lists share an
/// encoding (`["ab", "c"]` and `["a", "bc"]` give different ids).
pub fn message_id(parts: &[&str]) -> String {
    let mut key = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        key.extend_from_slice(part.len().to_string().as_bytes());
        key.push(b':');
        key.extend_from_slice(part.as_bytes());
    }
    Uuid::new_v5(&SMA_NAMESPACE, &key).hyphenated().to_string()
}

/// JSON text of `map` with object keys sorted at every depth, so that the id of a message
/// does not depend on insertion order (serde_json's map may preserve it, depending on
/// features enabled elsewhere in the build).
pub(crate) fn canonical_json(map: &Map<String, Value>) -> String {
    Value::Object(sorted_object(map)).to_string()
}

fn sorted_object(map: &Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
        .into_iter()
        .map(|(k, v)| (k.clone(), sorted(v)))
        .collect()
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(sorted_object(map)),
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_v5_uuids() {
        let id = Uuid::parse_str(&message_id(&["track", "u1"])).unwrap();
        assert_eq!(id.get_version_num(), 5);
    }

    #[test]
    fn part_boundaries_matter() {
        assert_ne!(message_id(&["ab", "c"]), message_id(&["a", "bc"]));
        assert_ne!(message_id(&["a", ""]), message_id(&["a"]));
    }

    #[test]
    fn canonical_json_ignores_key_order_at_every_depth() {
        let a = json!({"b": 1, "a": {"y": [ {"q": 1, "p": 2} ], "x": null}});
        let mut b = Map::new();
        b.insert("a".into(), json!({"x": null, "y": [ {"p": 2, "q": 1} ]}));
        b.insert("b".into(), json!(1));
        assert_eq!(canonical_json(a.as_object().unwrap()), canonical_json(&b));
        assert_eq!(
            canonical_json(&b),
            r#"{"a":{"x":null,"y":[{"p":2,"q":1}]},"b":1}"#
        );
    }
}
