//! One message from its JSON text to a validated [`Message`].
//!
//! The JSON is read as a map and fields are pulled out by hand rather than through a
//! derived struct: Segment sources are loose about types (numeric user ids, `null`
//! for absent fields, properties that are not objects), and every rejection must
//! say which field was wrong.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::message::{Campaign, MAX_MESSAGE_ID_CHARS, Message, MessageError, MessageType};

/// Validates one message. `implied_type` is the type a Tracking API path such as
/// `/v1/track` implies when the body does not say; `received_at` is used when the
/// message carries no time at all (as Segment itself stamps `receivedAt`).
pub(crate) fn parse_message(
    raw: &str,
    implied_type: Option<MessageType>,
    received_at: DateTime<Utc>,
) -> Result<Option<Message>, MessageError> {
    let value: Value = serde_json::from_str(raw).map_err(|e| MessageError::Json(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(MessageError::NotAnObject);
    };
    let message_type = match (string(&map, "type")?, implied_type) {
        (Some(name), _) => MessageType::parse(&name).ok_or(MessageError::UnknownType(name))?,
        (None, Some(implied)) => implied,
        (None, None) => return Err(MessageError::MissingType),
    };
    if message_type == MessageType::Delete {
        return Ok(None);
    }
    let message_id = id(&map, "messageId")?.ok_or(MessageError::MissingMessageId)?;
    let id_chars = message_id.chars().count();
    if id_chars > MAX_MESSAGE_ID_CHARS {
        return Err(MessageError::MessageIdTooLong(id_chars));
    }
    let anonymous_id = id(&map, "anonymousId")?;
    let user_id = id(&map, "userId")?;
    if anonymous_id.is_none() && user_id.is_none() {
        return Err(MessageError::MissingIdentity);
    }
    let previous_id = id(&map, "previousId")?;
    if message_type == MessageType::Alias && previous_id.is_none() {
        return Err(MessageError::MissingPreviousId);
    }
    let timestamp = timestamp(&map)?.unwrap_or(received_at);
    let event = string(&map, "event")?;
    if message_type == MessageType::Track && event.is_none() {
        return Err(MessageError::MissingEvent);
    }
    let properties = map.get("properties").and_then(Value::as_object);
    let context = map.get("context").and_then(Value::as_object);
    let page = context
        .and_then(|c| c.get("page"))
        .and_then(Value::as_object);
    let page_field = |key: &str| loose_string(page, key).or_else(|| loose_string(properties, key));
    let (url, referrer) = if message_type.is_view() {
        (page_field("url"), page_field("referrer"))
    } else {
        (None, None)
    };
    let campaign = context
        .and_then(|c| c.get("campaign"))
        .and_then(Value::as_object)
        .map(|c| Campaign {
            source: loose_string(Some(c), "source"),
            medium: loose_string(Some(c), "medium"),
            name: loose_string(Some(c), "name"),
            term: loose_string(Some(c), "term"),
            content: loose_string(Some(c), "content"),
            id: loose_string(Some(c), "id"),
        })
        .unwrap_or_default();
    let value = properties.and_then(|p| number(p, "revenue").or_else(|| number(p, "value")));
    Ok(Some(Message {
        message_type,
        message_id,
        anonymous_id,
        user_id,
        previous_id,
        timestamp,
        event,
        name: loose_string(Some(&map), "name"),
        url,
        referrer,
        campaign,
        value,
        raw: raw.to_owned(),
    }))
}

/// A required-type string field: absent, `null` and `""` are all "not given".
fn string(map: &Map<String, Value>, field: &'static str) -> Result<Option<String>, MessageError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(MessageError::InvalidField {
            field,
            expected: "a string",
        }),
    }
}

/// An id field: Segment sources send numeric user ids often enough to accept them.
fn id(map: &Map<String, Value>, field: &'static str) -> Result<Option<String>, MessageError> {
    match map.get(field) {
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(_) | Value::Array(_) | Value::Object(_)) => {
            Err(MessageError::InvalidField {
                field,
                expected: "a string or a number",
            })
        }
        _ => string(map, field).map(|s| s.map(|s| s.trim().to_owned())),
    }
}

/// Optional descriptive fields (URLs, campaign values): a wrong type there is not
/// worth losing the message for, so it reads as absent.
fn loose_string(map: Option<&Map<String, Value>>, key: &str) -> Option<String> {
    match map?.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    match map.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        _ => None,
    }
}

fn timestamp(map: &Map<String, Value>) -> Result<Option<DateTime<Utc>>, MessageError> {
    for field in ["timestamp", "originalTimestamp", "receivedAt"] {
        if let Some(text) = string(map, field)? {
            return parse_time(&text)
                .map(Some)
                .ok_or(MessageError::InvalidTimestamp { field, value: text });
        }
    }
    Ok(None)
}

/// ISO-8601 with an offset, or without one (read as UTC, which is what Segment's
/// libraries mean when they leave it off).
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}
