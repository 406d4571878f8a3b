use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// One stored touch of a device. The store keys it by (device, messageId of its
/// page) and orders by time; `touch` is the attribution crate's `Touch`, opaque
/// here so storage does not depend on the model code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TouchRecord {
    pub device: String,
    pub timestamp: DateTime<Utc>,
    pub message_id: String,
    pub touch: TouchJson,
}

/// A touch as JSON text, which is how every store keeps it: serialised once by
/// whoever derives it and stored as it is (an import writes hundreds of
/// thousands; going through a `serde_json::Value` cost each a map of strings
/// built, serialised and dropped). Read back, it is parsed only by its reader.
/// Serialised within a record, it is the JSON value itself, not a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouchJson(String);

impl TouchJson {
    /// The JSON of `touch`.
    pub fn new(touch: &impl Serialize) -> Result<TouchJson, serde_json::Error> {
        serde_json::to_string(touch).map(TouchJson)
    }

    /// Text as a store kept it; a store that was tampered with shows when the
    /// touch is parsed ([`TouchJson::parse`]).
    pub fn stored(text: String) -> TouchJson {
        TouchJson(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl From<serde_json::Value> for TouchJson {
    fn from(value: serde_json::Value) -> TouchJson {
        TouchJson(value.to_string())
    }
}

impl Serialize for TouchJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TouchJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TouchJson, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(TouchJson(raw.get().to_owned()))
    }
}

/// The touches of one device as derived by a caller that saw `events` of the
/// device's stored events (those with it as anonymousId): the set is only the
/// device's true set when the store holds exactly that many.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceTouches {
    pub device: String,
    pub events: u64,
    pub touches: Vec<TouchRecord>,
}

/// What [`TouchStore::replace_touches_where_complete`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replaced {
    /// Touches stored now that were not stored for their device before.
    pub new_touches: u64,
    /// Devices left as they were: the store holds events the caller did not see,
    /// so their touches must be re-derived from the store.
    pub incomplete: Vec<String>,
}

/// Whose journey a message belongs to: a device, or a user known only by userId
/// (server-side events).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Owner {
    Device(String),
    User(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_serialises_its_touch_as_the_json_value_and_reads_it_back() {
        let record = TouchRecord {
            device: "a1".into(),
            timestamp: DateTime::from_timestamp_millis(1_700_000_000_000).unwrap(),
            message_id: "p1".into(),
            touch: TouchJson::new(&json!({"channel": "Email", "n": [1, 2]})).unwrap(),
        };
        let text = serde_json::to_value(&record).unwrap();
        assert_eq!(text["touch"], json!({"channel": "Email", "n": [1, 2]}));
        let back: TouchRecord = serde_json::from_value(text).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.touch.parse::<serde_json::Value>().unwrap()["n"][1], 2);
    }

    #[test]
    fn stored_text_that_is_not_json_fails_when_parsed_and_when_serialised() {
        let broken = TouchJson::stored("{\"channel\":".into());
        assert!(broken.parse::<serde_json::Value>().is_err());
        assert!(serde_json::to_string(&broken).is_err());
    }
}
