//! Values the store keeps as JSON text without reading them: the domain's
//! touches and device states.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A domain value as JSON text, which is how every store keeps it: serialised
/// once by whoever derives it and stored as it is, so storage neither depends on
/// the domain's types nor builds a `serde_json::Value` of each one on the way.
/// Read back, it is parsed only by its reader. Serialised within a record, it
/// is the JSON value itself, not a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json(String);

impl Json {
    /// The JSON of `value`.
    pub fn new(value: &impl Serialize) -> Result<Json, serde_json::Error> {
        serde_json::to_string(value).map(Json)
    }

    /// Text as a store kept it; a store that was tampered with shows when the
    /// value is parsed ([`Json::parse`]).
    pub fn stored(text: String) -> Json {
        Json(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl From<serde_json::Value> for Json {
    fn from(value: serde_json::Value) -> Json {
        Json(value.to_string())
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(Json(raw.get().to_owned()))
    }
}
