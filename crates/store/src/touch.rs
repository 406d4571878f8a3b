use chrono::{DateTime, Utc};

use crate::Json;
use serde::{Deserialize, Serialize};

/// One stored touch of a device. The store keys it by (device, messageId of its
/// page) and orders by time; `touch` is the attribution crate's `Touch`, opaque
/// here so storage does not depend on the model code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TouchRecord {
    pub device: String,
    pub timestamp: DateTime<Utc>,
    pub message_id: String,
    pub touch: Json,
}

/// Whose journey a message belongs to: a device, or a user known only by userId
/// (server-side events); and, for the conversions of an account (a Segment
/// group, such as a deal won), the account, whose journey is every member's.
/// Messages are owned by devices and users only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Owner {
    Device(String),
    User(String),
    Account(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_serialises_its_touch_as_the_json_value_and_reads_it_back() {
        let record = TouchRecord {
            device: "a1".into(),
            timestamp: DateTime::from_timestamp_millis(1_700_000_000_000).unwrap(),
            message_id: "p1".into(),
            touch: Json::new(&json!({"channel": "Email", "n": [1, 2]})).unwrap(),
        };
        let text = serde_json::to_value(&record).unwrap();
        assert_eq!(text["touch"], json!({"channel": "Email", "n": [1, 2]}));
        let back: TouchRecord = serde_json::from_value(text).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.touch.parse::<serde_json::Value>().unwrap()["n"][1], 2);
    }

    #[test]
    fn stored_text_that_is_not_json_fails_when_parsed_and_when_serialised() {
        let broken = Json::stored("{\"channel\":".into());
        assert!(broken.parse::<serde_json::Value>().is_err());
        assert!(serde_json::to_string(&broken).is_err());
    }
}
