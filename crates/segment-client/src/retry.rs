//! When to try a request again, and how long to wait first.

use std::hash::BuildHasher;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// What a response status means for the batch that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Accepted.
    Delivered,
    /// A transient refusal: try again after a backoff.
    Retry,
    /// Segment will never accept this request as it is.
    Reject,
}

/// Classifies a status as Segment's Tracking API uses it: 429, 408 and 5xx are
/// transient, except 501 (not implemented) and 505 (HTTP version) which will not change.
pub(crate) fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        408 | 429 => Verdict::Retry,
        501 | 505 => Verdict::Reject,
        500..=599 => Verdict::Retry,
        _ => Verdict::Reject,
    }
}

/// Exponential backoff with full jitter: a uniformly random wait in
/// `[0, min(max, initial * 2^(retry-1))]`, `retry` counting from 1. Full jitter spreads
/// clients that failed together so they do not retry together.
pub(crate) fn backoff(retry: u32, initial: Duration, max: Duration) -> Duration {
    let ceiling = initial
        .checked_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        )
        .unwrap_or(max)
        .min(max);
    ceiling.mul_f64(random_fraction())
}

/// A uniformly distributed value in `[0, 1)`. std's `RandomState` is seeded randomly and
/// re-keyed on every construction, which is plenty for jitter and needs no dependency.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().hash_one(0u8);
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP-date (a date in the
/// past means now). `None` when absent or unreadable, so the normal backoff applies.
pub(crate) fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some((date.to_utc() - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for s in [200, 201, 204] {
            assert_eq!(verdict(s), Verdict::Delivered, "{s}");
        }
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(verdict(s), Verdict::Retry, "{s}");
        }
        for s in [301, 400, 401, 403, 404, 413, 501, 505] {
            assert_eq!(verdict(s), Verdict::Reject, "{s}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let (initial, max) = (Duration::from_millis(100), Duration::from_millis(1000));
        for retry in 1..=40 {
            let ceiling = (initial * 2u32.pow(retry.min(20) - 1)).min(max);
            for _ in 0..20 {
                assert!(backoff(retry, initial, max) <= ceiling, "retry {retry}");
            }
        }
    }

    #[test]
    fn backoff_is_jittered() {
        let waits: std::collections::HashSet<_> = (0..50)
            .map(|_| backoff(3, Duration::from_secs(1), Duration::from_secs(10)))
            .collect();
        assert!(waits.len() > 40, "only {} distinct waits", waits.len());
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap()
            .to_utc();
        assert_eq!(retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-3", now), None);
    }
}
