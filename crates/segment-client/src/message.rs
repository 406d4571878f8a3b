//! The messages sma sends: Segment `identify`, `track` and `group` calls, built so that callers
//! never hand-roll JSON and every message carries a deterministic id.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::Error;
use crate::id::{canonical_json, message_id};

/// Name sent as `context.library.name`.
pub const LIBRARY_NAME: &str = "sma";
/// Version sent as `context.library.version`.
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Segment call a message stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Sets traits on a user.
    Identify,
    /// Records an event.
    Track,
    /// Sets traits on a group (an account), for one of its users.
    Group,
}

impl Kind {
    /// The Segment `type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Identify => "identify",
            Kind::Track => "track",
            Kind::Group => "group",
        }
    }
}

/// One Segment Tracking API message, serialised exactly as it goes into a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(rename = "type")]
    kind: Kind,
    message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anonymous_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    #[serde(flatten)]
    payload: Payload,
    #[serde(serialize_with = "serialize_timestamp")]
    timestamp: DateTime<Utc>,
    context: Value,
}

impl Message {
    /// An `identify` call setting `traits` on `user_id` as of `timestamp` (kept as given:
    /// attribution facts are historic). `anonymous_id` links a device when known.
    pub fn identify(
        user_id: impl Into<String>,
        anonymous_id: Option<String>,
        traits: Map<String, Value>,
        timestamp: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let user_id = non_blank(Some(user_id.into())).ok_or(Error::MissingIdentity {
            kind: "identify",
            needed: "userId",
        })?;
        Ok(Self::build(
            Kind::Identify,
            Some(user_id),
            non_blank(anonymous_id),
            None,
            Payload::Traits(traits),
            timestamp,
        ))
    }

    /// A `track` call of `event` with `properties` at `timestamp` (kept as given), for a
    /// user, a device, or both; at least one id is required.
    pub fn track(
        event: impl Into<String>,
        user_id: Option<String>,
        anonymous_id: Option<String>,
        properties: Map<String, Value>,
        timestamp: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let event = non_blank(Some(event.into())).ok_or(Error::MissingEvent)?;
        let (user_id, anonymous_id) = (non_blank(user_id), non_blank(anonymous_id));
        if user_id.is_none() && anonymous_id.is_none() {
            return Err(Error::MissingIdentity {
                kind: "track",
                needed: "userId or anonymousId",
            });
        }
        Ok(Self::build(
            Kind::Track,
            user_id,
            anonymous_id,
            Some(event),
            Payload::Properties(properties),
            timestamp,
        ))
    }

    /// A `group` call setting `traits` on the account `group_id` as of
    /// `timestamp`, for its member `user_id` (Segment ties a group call to a
    /// user).
    pub fn group(
        group_id: impl Into<String>,
        user_id: impl Into<String>,
        traits: Map<String, Value>,
        timestamp: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let missing = |needed| Error::MissingIdentity {
            kind: "group",
            needed,
        };
        let group_id = non_blank(Some(group_id.into())).ok_or(missing("groupId"))?;
        let user_id = non_blank(Some(user_id.into())).ok_or(missing("userId"))?;
        let mut message = Self::build(
            Kind::Group,
            Some(user_id),
            None,
            None,
            Payload::Traits(traits),
            timestamp,
        );
        message.message_id = message_id(&[&message.message_id, &group_id]);
        message.group_id = Some(group_id);
        Ok(message)
    }

    fn build(
        kind: Kind,
        user_id: Option<String>,
        anonymous_id: Option<String>,
        event: Option<String>,
        payload: Payload,
        timestamp: DateTime<Utc>,
    ) -> Self {
        let content = canonical_json(payload.map());
        // An absent id and an empty one cannot both occur (blank ids are rejected), so ""
        // is an unambiguous stand-in for "none" in the key.
        let message_id = message_id(&[
            kind.as_str(),
            user_id.as_deref().unwrap_or(""),
            anonymous_id.as_deref().unwrap_or(""),
            event.as_deref().unwrap_or(""),
            &content,
            &format_timestamp(&timestamp),
        ]);
        Self {
            kind,
            message_id,
            user_id,
            anonymous_id,
            event,
            group_id: None,
            payload,
            timestamp,
            context: serde_json::json!({
                "library": { "name": LIBRARY_NAME, "version": LIBRARY_VERSION }
            }),
        }
    }

    /// The same message under a `messageId` derived from `key` alone instead
    /// of its whole content: for a message that stands for one fact whose
    /// other fields may change (a touch whose place in a journey shifts when
    /// a device is linked), so that sending it again is deduplicated.
    pub fn keyed_by(mut self, key: &[&str]) -> Self {
        let mut parts = vec![self.kind.as_str(), self.event.as_deref().unwrap_or("")];
        parts.extend_from_slice(key);
        self.message_id = message_id(&parts);
        self
    }

    /// The call type.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The deterministic `messageId`.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The `userId`, if any.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The `anonymousId`, if any.
    pub fn anonymous_id(&self) -> Option<&str> {
        self.anonymous_id.as_deref()
    }

    /// The account of a group call.
    pub fn group_id(&self) -> Option<&str> {
        self.group_id.as_deref()
    }

    /// The event name of a track call.
    pub fn event(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// Traits of an identify or group call, properties of a track call.
    pub fn payload(&self) -> &Map<String, Value> {
        self.payload.map()
    }

    /// The historic `timestamp`.
    pub fn timestamp(&self) -> DateTime<Utc> {
        self.timestamp
    }

    /// The message as a JSON value, as sent.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a message always serialises")
    }
}

/// Serialised under its variant name: `"traits": {...}` or `"properties": {...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Payload {
    Traits(Map<String, Value>),
    Properties(Map<String, Value>),
}

impl Payload {
    fn map(&self) -> &Map<String, Value> {
        match self {
            Payload::Traits(map) | Payload::Properties(map) => map,
        }
    }
}

fn non_blank(id: Option<String>) -> Option<String> {
    id.filter(|s| !s.trim().is_empty())
}

/// RFC 3339 in UTC with `Z` and only as many fractional digits as the instant has, so the
/// sent timestamp is the historic one to the nanosecond.
pub(crate) fn format_timestamp(timestamp: &DateTime<Utc>) -> String {
    timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn serialize_timestamp<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(ts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, nanos).unwrap()
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn identify_shape() {
        let m = Message::identify(
            "u1",
            Some("a1".into()),
            map(json!({"source_first_channel": "Organic Search"})),
            at(1_700_000_000, 123_000_000),
        )
        .unwrap();
        let v = m.to_json();
        assert_eq!(v["type"], "identify");
        assert_eq!(v["userId"], "u1");
        assert_eq!(v["anonymousId"], "a1");
        assert_eq!(v["traits"]["source_first_channel"], "Organic Search");
        assert_eq!(v["timestamp"], "2023-11-14T22:13:20.123Z");
        assert_eq!(v["messageId"], m.message_id());
        assert_eq!(v["context"]["library"]["name"], "sma");
        assert!(v.get("properties").is_none() && v.get("event").is_none());
    }

    #[test]
    fn track_without_user_omits_user_id() {
        let m = Message::track(
            "Source Identified",
            None,
            Some("a1".into()),
            Map::new(),
            at(0, 0),
        )
        .unwrap();
        let v = m.to_json();
        assert!(v.get("userId").is_none());
        assert_eq!(v["event"], "Source Identified");
        assert_eq!(v["properties"], json!({}));
    }

    #[test]
    fn blank_ids_and_events_are_rejected() {
        assert!(matches!(
            Message::identify(" ", None, Map::new(), at(0, 0)),
            Err(Error::MissingIdentity { .. })
        ));
        assert!(matches!(
            Message::track("E", Some("".into()), None, Map::new(), at(0, 0)),
            Err(Error::MissingIdentity { .. })
        ));
        assert!(matches!(
            Message::track("", Some("u".into()), None, Map::new(), at(0, 0)),
            Err(Error::MissingEvent)
        ));
    }

    #[test]
    fn id_ignores_key_order_but_not_values_or_time() {
        let build = |traits: Value, ts| Message::identify("u", None, map(traits), ts).unwrap();
        let base = build(json!({"a": 1, "b": 2}), at(5, 0));
        assert_eq!(
            base.message_id(),
            build(json!({"b": 2, "a": 1}), at(5, 0)).message_id()
        );
        assert_ne!(
            base.message_id(),
            build(json!({"a": 1, "b": 3}), at(5, 0)).message_id()
        );
        assert_ne!(
            base.message_id(),
            build(json!({"a": 1, "b": 2}), at(5, 1)).message_id()
        );
    }

    #[test]
    fn identify_and_track_with_same_facts_differ() {
        let id = Message::identify("u", None, Map::new(), at(0, 0)).unwrap();
        let tr = Message::track("identify", Some("u".into()), None, Map::new(), at(0, 0)).unwrap();
        assert_ne!(id.message_id(), tr.message_id());
    }

    #[test]
    fn a_group_call_names_its_account_and_a_member() {
        let traits: Map<String, Value> = [("source_first_channel".to_owned(), json!("Email"))]
            .into_iter()
            .collect();
        let acme = Message::group("acme", "ada", traits.clone(), at(0, 0)).unwrap();
        let wire = acme.to_json();
        assert_eq!(wire["type"], "group");
        assert_eq!(wire["groupId"], "acme");
        assert_eq!(wire["userId"], "ada");
        assert_eq!(wire["traits"]["source_first_channel"], "Email");
        let globex = Message::group("globex", "ada", traits.clone(), at(0, 0)).unwrap();
        assert_ne!(acme.message_id(), globex.message_id(), "one id per account");
        let again = Message::group("acme", "ada", traits, at(0, 0)).unwrap();
        assert_eq!(acme.message_id(), again.message_id());
        assert!(Message::group(" ", "ada", Map::new(), at(0, 0)).is_err());
    }
}
