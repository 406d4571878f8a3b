//! Packing serialised messages into requests within the Tracking API's limits.
//!
//! Messages are serialised once; a request body is those bytes joined inside the envelope
//! `{"batch":[...],"sentAt":"..."}`, so the size accounted for is the size sent.

use std::ops::Range;

use chrono::{DateTime, SecondsFormat, Utc};

/// Largest serialised message Segment accepts (32 KB).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// Largest request body Segment accepts (500 KB), envelope included.
pub const MAX_REQUEST_BYTES: usize = 500 * 1024;
/// Most messages Segment accepts in one request.
pub const MAX_BATCH_MESSAGES: usize = 2500;

const ENVELOPE_HEAD: &[u8] = br#"{"batch":["#;
const ENVELOPE_SENT_AT: &[u8] = br#"],"sentAt":""#;
const ENVELOPE_TAIL: &[u8] = br#""}"#;
/// `sentAt` is always formatted with milliseconds, hence a fixed width.
const SENT_AT_LEN: usize = "2024-01-01T00:00:00.000Z".len();

/// Bytes the envelope adds to a request around its messages (commas excluded).
pub(crate) const ENVELOPE_BYTES: usize =
    ENVELOPE_HEAD.len() + ENVELOPE_SENT_AT.len() + SENT_AT_LEN + ENVELOPE_TAIL.len();

/// The reason given for a message that is too large to send.
pub(crate) fn too_large(size: usize) -> String {
    format!("message too large: {size} bytes > {MAX_MESSAGE_BYTES}")
}

/// Splits messages of the given serialised sizes, in order, into consecutive ranges each
/// of which fits one request. Every size must be at most [`MAX_MESSAGE_BYTES`], which
/// guarantees that any single message fits a request on its own.
pub(crate) fn plan(sizes: &[usize]) -> Vec<Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut body = ENVELOPE_BYTES;
    for (i, &size) in sizes.iter().enumerate() {
        debug_assert!(size <= MAX_MESSAGE_BYTES);
        let count = i - start;
        let with_this = body + size + usize::from(count > 0);
        if count > 0 && (count == MAX_BATCH_MESSAGES || with_this > MAX_REQUEST_BYTES) {
            batches.push(start..i);
            start = i;
            body = ENVELOPE_BYTES + size;
        } else {
            body = with_this;
        }
    }
    if start < sizes.len() {
        batches.push(start..sizes.len());
    }
    batches
}

/// The request body for `messages` (each already serialised JSON), stamped `sent_at`.
pub(crate) fn body<'a>(
    messages: impl IntoIterator<Item = &'a [u8]>,
    sent_at: DateTime<Utc>,
) -> Vec<u8> {
    let mut out = ENVELOPE_HEAD.to_vec();
    for (i, message) in messages.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(message);
    }
    out.extend_from_slice(ENVELOPE_SENT_AT);
    out.extend_from_slice(
        sent_at
            .to_rfc3339_opts(SecondsFormat::Millis, true)
            .as_bytes(),
    );
    out.extend_from_slice(ENVELOPE_TAIL);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn body_len(sizes: &[usize]) -> usize {
        let messages: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![b'1'; n]).collect();
        body(messages.iter().map(Vec::as_slice), Utc::now()).len()
    }

    #[test]
    fn envelope_size_matches_the_real_body() {
        assert_eq!(body_len(&[]), ENVELOPE_BYTES);
        assert_eq!(body_len(&[10, 20]), ENVELOPE_BYTES + 31);
    }

    #[test]
    fn body_is_the_segment_envelope() {
        let at = DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z")
            .unwrap()
            .to_utc();
        let v: serde_json::Value =
            serde_json::from_slice(&body([&b"{\"a\":1}"[..], b"2"], at)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"batch": [{"a": 1}, 2], "sentAt": "2024-05-06T07:08:09.000Z"})
        );
    }

    #[test]
    fn count_limit_splits_exactly() {
        let plan = plan(&vec![1; MAX_BATCH_MESSAGES * 2 + 1]);
        let lens: Vec<_> = plan.iter().map(|r| r.len()).collect();
        assert_eq!(lens, [MAX_BATCH_MESSAGES, MAX_BATCH_MESSAGES, 1]);
    }

    #[test]
    fn a_request_is_filled_to_the_byte() {
        // Fifteen messages at the size limit, then one that fills the request exactly
        // (sixteen messages need fifteen commas).
        let full = MAX_MESSAGE_BYTES;
        let rest = MAX_REQUEST_BYTES - ENVELOPE_BYTES - 15 * full - 15;
        let mut sizes = vec![full; 15];
        sizes.push(rest);
        assert_eq!(body_len(&sizes), MAX_REQUEST_BYTES);
        assert_eq!(plan(&sizes), vec![Range { start: 0, end: 16 }]);
        sizes[15] += 1;
        assert_eq!(plan(&sizes), [0..15, 15..16]);
    }

    proptest! {
        #[test]
        fn plans_cover_everything_in_order_within_limits(
            sizes in prop::collection::vec(1..=MAX_MESSAGE_BYTES, 0..120)
        ) {
            let plan = plan(&sizes);
            let mut next = 0;
            for range in &plan {
                prop_assert_eq!(range.start, next);
                prop_assert!(!range.is_empty());
                prop_assert!(range.len() <= MAX_BATCH_MESSAGES);
                prop_assert!(body_len(&sizes[range.clone()]) <= MAX_REQUEST_BYTES);
                next = range.end;
            }
            prop_assert_eq!(next, sizes.len());
            // Greedy: no batch could have taken the first message of the next one.
            for pair in plan.windows(2) {
                let grown = pair[0].start..pair[1].start + 1;
                prop_assert!(body_len(&sizes[grown]) > MAX_REQUEST_BYTES);
            }
        }
    }
}
