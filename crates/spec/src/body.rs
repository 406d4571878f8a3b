//! A request body, in any of the three forms Segment sends, split into messages.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::bounds;
use crate::loose;
use crate::message::{Deletion, Message, MessageError, MessageType};
use crate::wire::{Valid, parse_message, validate};

/// Segment's limit on one message, checked on its raw JSON text.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;

/// What a caller knows about a body besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// The type implied by a Tracking API path (`/v1/track`), for messages without one.
    pub implied_type: Option<MessageType>,
    /// When the body arrived: the timestamp of last resort.
    pub received_at: DateTime<Utc>,
}

/// A body that cannot be split into messages at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("body is empty")]
    Empty,
    #[error("body is not valid JSON: {0}")]
    Json(String),
    #[error("body must be a message object, an array of messages or {{\"batch\": [...]}}")]
    Shape,
    #[error("`batch` must be an array of messages")]
    BatchNotArray,
}

/// One message of a body: a message, a user deletion, or rejected with the reason.
// Nearly every item is a message, built once and moved into a Vec: boxing it would
// add an allocation per message to save space on the rare other variants.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message(Message),
    Delete { index: usize, deletion: Deletion },
    Rejected(Rejection),
}

/// A rejected message: where it was in the body and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    pub index: usize,
    /// The messageId when one could be read, so the sender can match it up.
    pub message_id: Option<String>,
    pub error: String,
}

/// Splits a body into messages and validates each on its own.
///
/// Forms: one message object (classic webhook), an array of messages (Webhooks
/// (Actions) batching) and `{"batch": [...]}` (Tracking API). An object is a batch
/// body exactly when it has a `batch` field.
pub fn parse_body(body: &[u8], opts: ParseOptions) -> Result<Vec<Item>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| BodyError::Json(e.to_string()))?;
    let trimmed = text.trim_start();
    let raws: Vec<&str> = match trimmed.as_bytes().first() {
        None => return Err(BodyError::Empty),
        Some(b'[') => raw_texts(serde_json::from_str(text).map_err(json_error)?),
        Some(b'{') => {
            if let Some(item) = one_pass(text, opts) {
                return Ok(vec![item]);
            }
            // The probe for `batch` reads (and so validates) the whole object: a
            // single message is not read a second time to find its bounds.
            match batch_field(text)? {
                Some(batch) => raw_texts(
                    serde_json::from_str(batch.get()).map_err(|_| BodyError::BatchNotArray)?,
                ),
                None => vec![trim(text)],
            }
        }
        Some(_) => {
            // Valid JSON of the wrong shape is a shape error; anything else is a
            // JSON error, which names the position.
            serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(json_error)?;
            return Err(BodyError::Shape);
        }
    };
    Ok(raws
        .into_iter()
        .enumerate()
        .map(|(index, raw)| item(index, raw, opts))
        .collect())
}

/// A body that is one message (an archive line, a classic webhook call), read
/// once: its fields and its validity as JSON in the same pass. `None` leaves the
/// body to the general path: a batch, a message over the size limit, or a text
/// that does not read, which that path reports as it always has.
fn one_pass(text: &str, opts: ParseOptions) -> Option<Item> {
    let raw = trim(text);
    // A cheap look first, so that a batch body is not read twice.
    if raw.len() > MAX_MESSAGE_BYTES || raw.contains("\"batch\"") {
        return None;
    }
    let top = loose::read(raw).ok()??;
    if top.batch.is_some() {
        return None;
    }
    let result = validate(&top, raw, opts.implied_type, opts.received_at);
    Some(outcome(0, raw, result, opts))
}

/// A body without the JSON whitespace around it.
fn trim(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

fn raw_texts(raws: Vec<&RawValue>) -> Vec<&str> {
    raws.into_iter().map(RawValue::get).collect()
}

fn batch_field(object: &str) -> Result<Option<&RawValue>, BodyError> {
    // Only the presence of `batch` matters here; a message object never has one.
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        batch: Option<&'a RawValue>,
    }
    let probe: Probe = serde_json::from_str(object).map_err(json_error)?;
    Ok(probe.batch.filter(|b| b.get() != "null"))
}

fn item(index: usize, raw: &str, opts: ParseOptions) -> Item {
    let result = if raw.len() > MAX_MESSAGE_BYTES {
        Err(MessageError::TooLarge(raw.len()))
    } else {
        parse_message(raw, opts.implied_type, opts.received_at)
    };
    outcome(index, raw, result, opts)
}

/// What became of one message; a message that arrives is held to the window
/// of plausible times (a stored one, read back, is not: it was held to it).
fn outcome(
    index: usize,
    raw: &str,
    result: Result<Valid, MessageError>,
    opts: ParseOptions,
) -> Item {
    let result = result.and_then(|valid| {
        if let Valid::Message(m) = &valid {
            bounds::check_time(m.timestamp, opts.received_at)?;
        }
        Ok(valid)
    });
    match result {
        Ok(Valid::Message(message)) => Item::Message(message),
        Ok(Valid::Delete(deletion)) => Item::Delete { index, deletion },
        Err(error) => Item::Rejected(Rejection {
            index,
            message_id: message_id_of(raw),
            error: error.to_string(),
        }),
    }
}

/// Best effort: the messageId of a message that failed validation.
fn message_id_of(raw: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(rename = "messageId")]
        message_id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Id>(raw).ok()?.message_id? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_error(e: serde_json::Error) -> BodyError {
    BodyError::Json(e.to_string())
}
