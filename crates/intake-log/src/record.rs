//! One body as the log keeps it: a length, a CRC-32 and its messages as JSON
//! (each as received, with the type and time it is stored under). The CRC
//! finds a record whose writing a crash cut short.

use std::borrow::Cow;

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use sma_spec::{Message, MessageType};
use sma_store::StoreError;

/// Bytes before a record's payload: its length and its CRC-32, little-endian.
const HEADER: usize = 8;

#[derive(Serialize, Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    messages: Vec<LoggedMessage<'a>>,
}

#[derive(Serialize, Deserialize)]
struct LoggedMessage<'a> {
    #[serde(borrow)]
    r#type: Cow<'a, str>,
    /// Epoch milliseconds, as stored.
    ts: i64,
    #[serde(borrow)]
    raw: Cow<'a, str>,
}

/// A body's messages as one record, header included.
pub(super) fn encode(messages: &[Message]) -> Vec<u8> {
    let record = Record {
        messages: messages
            .iter()
            .map(|m| LoggedMessage {
                r#type: m.message_type.as_str().into(),
                ts: m.timestamp.timestamp_millis(),
                raw: m.raw.as_str().into(),
            })
            .collect(),
    };
    let mut bytes = vec![0; HEADER];
    serde_json::to_writer(&mut bytes, &record).expect("strings and numbers serialise");
    write_header(&mut bytes);
    bytes
}

/// A record of `payload`, header included.
pub(super) fn frame(payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0; HEADER];
    bytes.extend_from_slice(payload);
    write_header(&mut bytes);
    bytes
}

fn write_header(bytes: &mut [u8]) {
    let (header, payload) = bytes.split_at_mut(HEADER);
    let length = u32::try_from(payload.len()).expect("an intake is far below 4 GiB");
    header[..4].copy_from_slice(&length.to_le_bytes());
    header[4..].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
}

/// The complete records at the start of `bytes`, and how many bytes follow
/// the last one (a record a crash cut short, or garbage).
pub(super) fn split(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut records = Vec::new();
    let mut rest = bytes;
    while rest.len() >= HEADER {
        let length = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(rest[4..HEADER].try_into().expect("4 bytes"));
        let Some(payload) = rest.get(HEADER..HEADER + length) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        records.push(payload);
        rest = &rest[HEADER + length..];
    }
    (records, rest.len())
}

/// The messages a record's payload holds.
pub(super) fn decode(payload: &[u8]) -> Result<Vec<Message>, StoreError> {
    let corrupt = |e: String| StoreError::Corrupt(format!("intake log record: {e}"));
    let record: Record<'_> = serde_json::from_slice(payload).map_err(|e| corrupt(e.to_string()))?;
    record
        .messages
        .iter()
        .map(|m| {
            let message_type = MessageType::parse(&m.r#type)
                .ok_or_else(|| corrupt(format!("unknown type {:?}", m.r#type)))?;
            let at = DateTime::from_timestamp_millis(m.ts)
                .ok_or_else(|| corrupt(format!("time {} out of range", m.ts)))?;
            Message::from_stored(&m.raw, message_type, at).map_err(|e| corrupt(e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Vec<Message> {
        let raw = r#"{"type":"page","messageId":"m1","anonymousId":"a1","timestamp":"2024-03-01T09:00:00Z","context":{"page":{"url":"https://acme.io/?utm_source=x\u00e9"}}}"#;
        let at = DateTime::from_timestamp_millis(1_709_283_600_000).unwrap();
        vec![Message::from_stored(raw, MessageType::Page, at).unwrap()]
    }

    #[test]
    fn a_body_comes_back_as_it_was_logged() {
        let bytes = encode(&body());
        let (records, rest) = split(&bytes);
        assert_eq!((records.len(), rest), (1, 0));
        assert_eq!(decode(records[0]).unwrap(), body());
    }

    /// A crash can cut the last record anywhere: the records before it are
    /// read, and the cut one is counted as what follows.
    #[test]
    fn a_record_cut_short_ends_the_log_where_it_starts() {
        let one = encode(&body());
        let mut bytes = one.repeat(2);
        for cut in 1..one.len() {
            let (records, rest) = split(&bytes[..one.len() + cut]);
            assert_eq!((records.len(), rest), (1, cut), "cut after {cut} bytes");
        }
        // A flipped byte fails the CRC.
        let last = bytes.len() - 2;
        bytes[last] ^= 0x20;
        assert_eq!(split(&bytes).0.len(), 1);
    }
}
