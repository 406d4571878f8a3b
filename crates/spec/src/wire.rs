//! One message from its JSON text to a validated [`Message`].
//!
//! Fields are pulled out by hand rather than through a derived struct: Segment
//! sources are loose about types (numeric user ids, `null` for absent fields,
//! properties that are not objects), and every rejection must say which field was
//! wrong. The text is read once, for those fields only ([`loose`]).

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::bounds;
use crate::loose::{self, Loose};
use crate::message::{
    Campaign, Deletion, MAX_MESSAGE_ID_CHARS, Message, MessageError, MessageType,
};

/// A valid message, or a user deletion (`delete`), which is a request rather
/// than a message to store.
// Built once per message and moved on at once, as `Item` is (see there).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Valid {
    Message(Message),
    Delete(Deletion),
}

/// Validates one message. `implied_type` is the type a Tracking API path such as
/// `/v1/track` implies when the body does not say; `received_at` is used when the
/// message carries no time at all (as Segment itself stamps `receivedAt`).
pub(crate) fn parse_message(
    raw: &str,
    implied_type: Option<MessageType>,
    received_at: DateTime<Utc>,
) -> Result<Valid, MessageError> {
    let top = loose::read(raw)
        .map_err(|e| MessageError::Json(e.to_string()))?
        .ok_or(MessageError::NotAnObject)?;
    validate(&top, raw, implied_type, received_at)
}

/// Validates a message already read ([`loose::read`]) from `raw`.
pub(crate) fn validate(
    top: &loose::Top,
    raw: &str,
    implied_type: Option<MessageType>,
    received_at: DateTime<Utc>,
) -> Result<Valid, MessageError> {
    let message_type = match (string(&top.kind, "type")?, implied_type) {
        (Some(name), _) => MessageType::parse(&name).ok_or(MessageError::UnknownType(name))?,
        (None, Some(implied)) => implied,
        (None, None) => return Err(MessageError::MissingType),
    };
    if message_type == MessageType::Delete {
        return Ok(Valid::Delete(Deletion {
            message_id: id(&top.message_id, "messageId")?,
            user_id: id(&top.user_id, "userId")?.ok_or(MessageError::DeleteWithoutUser)?,
        }));
    }
    let message_id = id(&top.message_id, "messageId")?.ok_or(MessageError::MissingMessageId)?;
    let id_chars = message_id.chars().count();
    if id_chars > MAX_MESSAGE_ID_CHARS {
        return Err(MessageError::MessageIdTooLong(id_chars));
    }
    let anonymous_id = id(&top.anonymous_id, "anonymousId")?;
    let user_id = id(&top.user_id, "userId")?;
    if anonymous_id.is_none() && user_id.is_none() {
        return Err(MessageError::MissingIdentity);
    }
    let previous_id = id(&top.previous_id, "previousId")?;
    if message_type == MessageType::Alias && previous_id.is_none() {
        return Err(MessageError::MissingPreviousId);
    }
    // A group call names its account; any other message may name one in
    // its context (Segment's `context.groupId`) or properties.
    let group_id = match message_type {
        MessageType::Group => id(&top.group_id, "groupId")?,
        _ => loose_id(&top.context.fields.group_id)
            .or_else(|| loose_id(&top.properties.fields.group_id)),
    };
    let timestamp = timestamp(top, received_at)?.unwrap_or(received_at);
    let event = string(&top.event, "event")?;
    if message_type == MessageType::Track && event.is_none() {
        return Err(MessageError::MissingEvent);
    }
    let properties = &top.properties.fields;
    let page = &top.context.fields.page.fields;
    let (url, referrer, user_agent) = if message_type.is_view() {
        (
            loose_string(&page.url).or_else(|| loose_string(&properties.url)),
            loose_string(&page.referrer).or_else(|| loose_string(&properties.referrer)),
            loose_string(&top.context.fields.user_agent),
        )
    } else {
        (None, None, None)
    };
    let c = &top.context.fields.campaign.fields;
    let campaign = Campaign {
        source: loose_string(&c.source),
        medium: loose_string(&c.medium),
        name: loose_string(&c.name),
        term: loose_string(&c.term),
        content: loose_string(&c.content),
        id: loose_string(&c.id),
    };
    let value = if message_type == MessageType::Track {
        value(properties)?
    } else {
        None
    };
    Ok(Valid::Message(Message {
        message_type,
        message_id,
        anonymous_id,
        user_id,
        previous_id,
        timestamp,
        event,
        name: loose_string(&top.name),
        url,
        referrer,
        user_agent,
        campaign,
        value,
        group_id,
        raw: raw.to_owned(),
    }))
}

/// A required-type string field: absent, `null` and `""` are all "not given".
fn string(value: &Option<Loose>, field: &'static str) -> Result<Option<String>, MessageError> {
    match value {
        None => Ok(None),
        Some(Loose::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Loose::Str(s)) => Ok(Some(s.clone().into_owned())),
        Some(_) => Err(MessageError::InvalidField {
            field,
            expected: "a string",
        }),
    }
}

/// An id field: Segment sources send numeric user ids often enough to accept them.
fn id(value: &Option<Loose>, field: &'static str) -> Result<Option<String>, MessageError> {
    match value {
        Some(Loose::Num(n)) => Ok(Some(n.to_string())),
        Some(Loose::Other) => Err(MessageError::InvalidField {
            field,
            expected: "a string or a number",
        }),
        Some(Loose::Str(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned)),
        None => Ok(None),
    }
}

/// Optional descriptive fields (URLs, campaign values): a wrong type there is not
/// worth losing the message for, so it reads as absent.
fn loose_string(value: &Option<Loose>) -> Option<String> {
    value
        .as_ref()?
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

/// An id where a wrong type is not worth rejecting the message for.
fn loose_id(value: &Option<Loose>) -> Option<String> {
    match value.as_ref()? {
        Loose::Num(n) => Some(n.to_string()),
        Loose::Str(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
        _ => None,
    }
}

fn number(value: &Option<Loose>) -> Option<f64> {
    match value.as_ref()? {
        Loose::Num(n) => n.as_f64(),
        Loose::Str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn value(properties: &loose::Properties) -> Result<Option<f64>, MessageError> {
    let fields = [
        (&properties.revenue, "properties.revenue"),
        (&properties.value, "properties.value"),
        (&properties.amount, "properties.amount"),
    ];
    for (value, field) in fields {
        if let Some(n) = number(value) {
            return bounds::check_value(field, n).map(Some);
        }
    }
    Ok(None)
}

fn time(value: &Option<Loose>, field: &'static str) -> Result<Option<DateTime<Utc>>, MessageError> {
    let Some(text) = string(value, field)? else {
        return Ok(None);
    };
    parse_time(&text)
        .map(Some)
        .ok_or(MessageError::InvalidTimestamp { field, value: text })
}

/// The event's time; see [`Message::timestamp`]. A time field is read (and
/// can reject the message) only when it is used.
fn timestamp(
    top: &loose::Top,
    arrival: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, MessageError> {
    let first = |fields: &[(&Option<Loose>, &'static str)]| {
        for &(value, field) in fields {
            if let Some(at) = time(value, field)? {
                return Ok(Some(at));
            }
        }
        Ok(None)
    };
    if let Some(sent_at) = time(&top.sent_at, "sentAt")? {
        // Segment's `timestamp` is corrected already: the client's own
        // reading is `originalTimestamp` when both are there.
        let client = first(&[
            (&top.original_timestamp, "originalTimestamp"),
            (&top.timestamp, "timestamp"),
        ])?;
        if let Some(client) = client {
            let received_at = time(&top.received_at, "receivedAt")?.unwrap_or(arrival);
            return bounds::corrected(client, sent_at, received_at).map(Some);
        }
    }
    first(&[
        (&top.timestamp, "timestamp"),
        (&top.original_timestamp, "originalTimestamp"),
        (&top.received_at, "receivedAt"),
    ])
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
