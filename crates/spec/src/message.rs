use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Segment's limit on a messageId; longer ids are rejected, not truncated, so that
/// two distinct ids can never collide.
pub const MAX_MESSAGE_ID_CHARS: usize = 100;

/// The Segment spec's message types. `delete` (a user deletion request) is
/// never stored: it erases what sma holds of its user ([`Deletion`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    Page,
    Screen,
    Track,
    Identify,
    Alias,
    Group,
    Delete,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Page => "page",
            MessageType::Screen => "screen",
            MessageType::Track => "track",
            MessageType::Identify => "identify",
            MessageType::Alias => "alias",
            MessageType::Group => "group",
            MessageType::Delete => "delete",
        }
    }

    /// Parses a type name, also in the one-letter form of Segment's Tracking API
    /// paths (`/v1/p`, `/v1/t` …).
    pub fn parse(name: &str) -> Option<MessageType> {
        Some(match name {
            "page" | "p" => MessageType::Page,
            "screen" | "s" => MessageType::Screen,
            "track" | "t" => MessageType::Track,
            "identify" | "i" => MessageType::Identify,
            "alias" | "a" => MessageType::Alias,
            "group" | "g" => MessageType::Group,
            "delete" => MessageType::Delete,
            _ => return None,
        })
    }

    /// Page views: the messages source detection reads.
    pub fn is_view(self) -> bool {
        matches!(self, MessageType::Page | MessageType::Screen)
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Segment's `context.campaign` (the utm_* values analytics.js parsed from the URL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub name: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
    pub id: Option<String>,
}

impl Campaign {
    pub fn is_empty(&self) -> bool {
        *self == Campaign::default()
    }
}

/// One validated Segment message: the fields sma works with, plus the message as
/// received (`raw`), which is what gets stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub message_type: MessageType,
    pub message_id: String,
    pub anonymous_id: Option<String>,
    pub user_id: Option<String>,
    /// alias only: the id being merged into `user_id`.
    pub previous_id: Option<String>,
    /// With `sentAt`: `receivedAt` (else the arrival) - (`sentAt` -
    /// `originalTimestamp`, else `timestamp`), as Segment corrects a client's
    /// clock. Without: `timestamp`, else `originalTimestamp`, else `receivedAt`.
    pub timestamp: DateTime<Utc>,
    /// track: the event name.
    pub event: Option<String>,
    /// page/screen: the page name.
    pub name: Option<String>,
    /// page/screen: `context.page.url`, else `properties.url`.
    pub url: Option<String>,
    /// page/screen: `context.page.referrer`, else `properties.referrer`.
    pub referrer: Option<String>,
    /// page/screen: `context.userAgent` (what tells a bot's view).
    pub user_agent: Option<String>,
    pub campaign: Campaign,
    /// track: `properties.revenue`, else `properties.value`, else
    /// `properties.amount`, when numeric (within ±[`MAX_VALUE`](crate::MAX_VALUE)).
    pub value: Option<f64>,
    /// The account (Segment group) the message names: a group call's
    /// `groupId`; on others `context.groupId`, else `properties.groupId`.
    pub group_id: Option<String>,
    /// The message exactly as received (one JSON object).
    pub raw: String,
}

/// A Segment user deletion (`{"type": "delete", "userId": …}`): Segment sends
/// it to destinations when a user asks to be forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub message_id: Option<String>,
    pub user_id: String,
}

/// Why one message was rejected. The text is what the client sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("message is not valid JSON: {0}")]
    Json(String),
    #[error("message is not a JSON object")]
    NotAnObject,
    #[error("message is {0} bytes; the limit is {limit} bytes", limit = crate::MAX_MESSAGE_BYTES)]
    TooLarge(usize),
    #[error("missing field `type`")]
    MissingType,
    #[error("unknown type `{0}`; expected page, screen, track, identify, alias, group or delete")]
    UnknownType(String),
    #[error("missing field `messageId`")]
    MissingMessageId,
    #[error("`messageId` is {0} characters; the limit is {MAX_MESSAGE_ID_CHARS}")]
    MessageIdTooLong(usize),
    #[error("missing identity: one of `anonymousId` or `userId` is required")]
    MissingIdentity,
    #[error("missing timestamp: none of `timestamp`, `originalTimestamp`, `receivedAt`")]
    MissingTimestamp,
    #[error("invalid `{field}`: {value:?} is not an ISO-8601 date-time")]
    InvalidTimestamp { field: &'static str, value: String },
    #[error("invalid `{field}`: expected {expected}")]
    InvalidField {
        field: &'static str,
        expected: &'static str,
    },
    #[error(
        "`timestamp` {0} is implausible: sma takes times from 2000-01-01 to a day after arrival \
         (after correcting the client's clock by `sentAt`)"
    )]
    ImplausibleTimestamp(String),
    #[error("`{field}` is {value}; a value must be finite and within ±1e12")]
    ImplausibleValue { field: &'static str, value: String },
    #[error("delete message without `userId`: a deletion names the user to erase")]
    DeleteWithoutUser,
    #[error("track message without `event`")]
    MissingEvent,
    #[error("alias message without `previousId`")]
    MissingPreviousId,
    #[error(
        "messageId {0:?} was taken by another message; a retry must repeat its message \
         unchanged (only sentAt, receivedAt and _metadata may differ)"
    )]
    ReusedId(String),
}

impl Message {
    /// Rebuilds a stored message from its raw JSON, with the type and resolved
    /// timestamp stored beside it (the raw text alone may lack both: a Tracking API
    /// path implies the type, the arrival time may have been the timestamp).
    pub fn from_stored(
        raw: &str,
        message_type: MessageType,
        timestamp: DateTime<Utc>,
    ) -> Result<Message, MessageError> {
        let crate::wire::Valid::Message(mut message) =
            crate::wire::parse_message(raw, Some(message_type), timestamp)?
        else {
            return Err(MessageError::UnknownType(MessageType::Delete.to_string()));
        };
        message.timestamp = timestamp;
        Ok(message)
    }
}
