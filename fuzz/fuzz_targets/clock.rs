//! The clock path: whatever a message says of its times (`timestamp`,
//! `originalTimestamp`, `sentAt`, `receivedAt`, as instants or any text) and
//! whenever it arrives, parsing never panics; a message it keeps has a time
//! in the plausible window, and with `sentAt` that time is the client's
//! corrected as Segment corrects it.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use sma_spec::{Item, MAX_AHEAD, ParseOptions, earliest, parse_body};

/// A time field as a client may send it: absent, any text, or an instant
/// (any that chrono can write) with the instant it stands for.
fn field(u: &mut Unstructured) -> Result<Option<(Value, Option<DateTime<Utc>>)>> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => None,
        1 => Some((Value::String(u.arbitrary()?), None)),
        _ => {
            let ms: i64 = u.arbitrary()?;
            DateTime::from_timestamp_millis(ms).map(|at| {
                let text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                (Value::String(text), Some(at))
            })
        }
    })
}

fn check(u: &mut Unstructured) -> Result<()> {
    let arrival = DateTime::from_timestamp_millis(u.arbitrary::<i64>()? % 4_102_444_800_000)
        .unwrap_or_else(earliest);
    let mut message = Map::new();
    message.insert("type".into(), json!("track"));
    message.insert("messageId".into(), json!("m1"));
    message.insert("userId".into(), json!("u1"));
    message.insert("event".into(), json!("Signed Up"));
    // Per field: None when absent, Some(None) when text, Some(Some(at)) when an instant.
    let mut times: Vec<Option<Option<DateTime<Utc>>>> = Vec::new();
    for name in ["timestamp", "originalTimestamp", "sentAt", "receivedAt"] {
        let value = field(u)?;
        if let Some((text, _)) = &value {
            message.insert(name.into(), text.clone());
        }
        times.push(value.map(|(_, at)| at));
    }
    let opts = ParseOptions {
        implied_type: None,
        received_at: arrival,
    };
    let body = Value::Object(message.clone()).to_string();
    let Ok(items) = parse_body(body.as_bytes(), opts) else {
        return Ok(());
    };
    let Some(Item::Message(m)) = items.first() else {
        return Ok(());
    };
    assert!(m.timestamp >= earliest(), "{body} kept at {}", m.timestamp);
    if let Some(latest) = arrival.checked_add_signed(MAX_AHEAD) {
        assert!(m.timestamp <= latest, "{body} kept at {}", m.timestamp);
    }
    // Every field given is an instant, sentAt among them: the corrected time.
    let instant = |t: Option<Option<DateTime<Utc>>>| t.map_or(Some(None), |at| at.map(Some));
    if let [Some(Some(timestamp)), original, Some(Some(sent)), received] = times[..]
        && let (Some(original), Some(received)) = (instant(original), instant(received))
    {
        let client = original.unwrap_or(timestamp);
        let base = received.unwrap_or(arrival);
        let expected = base.checked_sub_signed(sent.signed_duration_since(client));
        assert_eq!(Some(m.timestamp), expected, "{body}");
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
