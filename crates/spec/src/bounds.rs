//! What a message may claim: a time that could be true and a value a sum can
//! hold. A claim outside these bounds rejects the message, with the reason.
//!
//! The earliest claim on a device owns it, so a message dated year -9999
//! would take any device; and two values of 1.7e308 make every sum infinite.

use chrono::{DateTime, TimeDelta, Utc};

use crate::message::MessageError;

/// The largest conversion value, in either sign: beyond any real order, and
/// sums of millions of such values stay exact to the cent.
pub const MAX_VALUE: f64 = 1e12;

/// How far after its arrival a message's (corrected) time may be.
pub const MAX_AHEAD: TimeDelta = TimeDelta::days(1);

/// The earliest time a message may claim: 2000-01-01T00:00:00Z, before any
/// analytics library sma reads from.
pub fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(946_684_800, 0).expect("a valid time")
}

/// The event time in the receiver's clock, as Segment computes it: the client
/// says when the event happened and when it sent it, both by its own clock;
/// their difference is the time between the two, which does not depend on
/// how wrong that clock is.
pub(crate) fn corrected(
    client: DateTime<Utc>,
    sent_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, MessageError> {
    received_at
        .checked_sub_signed(sent_at.signed_duration_since(client))
        .ok_or_else(|| MessageError::ImplausibleTimestamp(shown(client)))
}

/// `at` lies within the window every message must be in.
pub(crate) fn check_time(at: DateTime<Utc>, arrival: DateTime<Utc>) -> Result<(), MessageError> {
    if at < earliest()
        || arrival
            .checked_add_signed(MAX_AHEAD)
            .is_some_and(|latest| at > latest)
    {
        return Err(MessageError::ImplausibleTimestamp(shown(at)));
    }
    Ok(())
}

/// A conversion value within ±[`MAX_VALUE`], without the sign of a negative
/// zero (which reads `-0.0` in every total it reaches).
pub(crate) fn check_value(field: &'static str, value: f64) -> Result<f64, MessageError> {
    if !value.is_finite() || value.abs() > MAX_VALUE {
        return Err(MessageError::ImplausibleValue {
            field,
            value: format!("{value:e}"),
        });
    }
    Ok(value + 0.0)
}

fn shown(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_clock_an_hour_behind_is_corrected() {
        let event = at("2024-06-01T09:00:00Z");
        let sent = at("2024-06-01T09:00:05Z");
        let received = at("2024-06-01T10:00:06Z");
        assert_eq!(
            corrected(event, sent, received).unwrap(),
            at("2024-06-01T10:00:01Z")
        );
    }

    #[test]
    fn the_window() {
        let arrival = at("2024-06-01T10:00:00Z");
        assert!(check_time(at("2000-01-01T00:00:00Z"), arrival).is_ok());
        assert!(check_time(at("1999-12-31T23:59:59Z"), arrival).is_err());
        assert!(check_time(at("2024-06-02T10:00:00Z"), arrival).is_ok());
        assert!(check_time(at("2024-06-02T10:00:01Z"), arrival).is_err());
    }

    #[test]
    fn values() {
        assert_eq!(check_value("v", -0.0).unwrap().to_string(), "0");
        assert_eq!(check_value("v", -1e12).unwrap(), -1e12);
        assert!(check_value("v", 1.7e308).is_err());
        assert!(check_value("v", f64::NAN).is_err());
        assert!(check_value("v", f64::INFINITY).is_err());
    }
}
