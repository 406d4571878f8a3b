//! The one-pass reader of a message's fields against a plain reading of the whole
//! message as a `serde_json::Value` map: on messages with fields of every JSON
//! type, repeated keys, escapes, deep nesting and non-object `properties`/`context`, both must
//! accept the same messages, read the same fields and reject with the same error.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};
use sma_spec::{Campaign, Item, Message, MessageType, ParseOptions, parse_body};

/// A day before the times the generator writes: some corrected times fall
/// past the window, some within.
fn received_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 31, 10, 0, 0).unwrap()
}

/// JSON text of a value a loose Segment source might send for any field.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("\"\"".to_owned()),
        Just("\"  \"".to_owned()),
        Just("true".to_owned()),
        Just("[1,{\"a\":[]}]".to_owned()),
        // Nested within and beyond serde_json's recursion limit (128).
        Just(format!("{}{}", "[".repeat(100), "]".repeat(100))),
        Just(format!("{}1{}", "[{\"a\":".repeat(70), "}]".repeat(70))),
        Just("{\"url\":\"https://x.io/\"}".to_owned()),
        Just("\"2024-06-01T10:00:00Z\"".to_owned()),
        Just("\"2024-06-01 10:00:00.5\"".to_owned()),
        Just("\"page\"".to_owned()),
        Just("\"t\"".to_owned()),
        Just("\"alias\"".to_owned()),
        Just("\"delete\"".to_owned()),
        Just("\"https://www.google.com/search?q=a\"".to_owned()),
        Just("\"caf\\u00e9 \\\"q\\\"\"".to_owned()),
        Just("\" 12.5 \"".to_owned()),
        (-1000i64..1000).prop_map(|n| n.to_string()),
        (0u64..u64::MAX).prop_map(|n| n.to_string()),
        (-1e6f64..1e6).prop_map(|f| format!("{f:?}")),
        "[a-z ]{0,12}".prop_map(|s| format!("\"{s}\"")),
    ]
}

/// An object's text from its fields (keys may repeat, as JSON allows).
fn object(fields: &[(String, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    format!("{{{}}}", body.join(","))
}

fn fields_of(
    keys: &'static [&'static str],
    nested: BoxedStrategy<String>,
) -> BoxedStrategy<String> {
    let key = prop::sample::select(keys.to_vec()).prop_map(str::to_owned);
    prop::collection::vec((key, prop_oneof![4 => value(), 1 => nested]), 0..8)
        .prop_map(|fields| object(&fields))
        .boxed()
}

/// A message-like text: mostly objects whose fields are the ones sma reads.
fn message() -> impl Strategy<Value = String> {
    let page = fields_of(&["url", "referrer", "path"], value().boxed());
    let campaign = fields_of(
        &["source", "medium", "name", "term", "content", "id", "x"],
        value().boxed(),
    );
    let context = fields_of(
        &["page", "campaign", "ip", "groupId"],
        prop_oneof![page, campaign].boxed(),
    );
    let properties = fields_of(
        &["url", "referrer", "revenue", "value", "amount", "groupId"],
        value().boxed(),
    );
    let top_keys = &[
        "type",
        "messageId",
        "anonymousId",
        "userId",
        "previousId",
        "timestamp",
        "originalTimestamp",
        "receivedAt",
        "sentAt",
        "event",
        "name",
        "properties",
        "context",
        "traits",
        "groupId",
    ];
    // A valid message first; the fields after it may repeat (and so replace) its keys.
    let kind = prop::sample::select(vec![
        "page", "track", "identify", "alias", "screen", "group",
    ]);
    let base = (
        kind,
        "[a-z0-9]{1,8}",
        prop::option::of("[a-z0-9]{1,8}"),
        "[a-z0-9]{1,8}",
    )
        .prop_map(|(kind, id, user, anonymous)| {
            let mut fields = vec![
                ("type", format!("\"{kind}\"")),
                ("messageId", format!("\"{id}\"")),
                ("anonymousId", format!("\"{anonymous}\"")),
                ("timestamp", "\"2024-06-01T10:00:00.123Z\"".to_owned()),
                ("event", "\"Signed Up\"".to_owned()),
                ("previousId", "\"p\"".to_owned()),
            ];
            if let Some(user) = user {
                fields.push(("userId", format!("\"{user}\"")));
            }
            fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Vec<_>>()
        });
    let key = prop::sample::select(top_keys.to_vec()).prop_map(str::to_owned);
    let extra = prop::collection::vec(
        (
            key,
            prop_oneof![2 => value(), 3 => prop_oneof![context, properties]],
        ),
        0..10,
    );
    let top = (base, extra).prop_map(|(mut base, extra)| {
        base.extend(extra);
        object(&base)
    });
    prop_oneof![9 => top, 1 => value()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_one_pass_reader_agrees_with_a_whole_value_reading(text in message(), implied in any::<bool>()) {
        let implied_type = implied.then_some(MessageType::Track);
        let opts = ParseOptions { implied_type, received_at: received_at() };
        // In a batch, any JSON value is one message to validate.
        let body = format!("{{\"batch\":[{text}]}}");
        let ours = match parse_body(body.as_bytes(), opts).unwrap().as_slice() {
            [Item::Message(m)] => Ok(Some(m.clone())),
            [Item::Delete { .. }] => Ok(None),
            [Item::Rejected(r)] => Err(r.error.clone()),
            other => panic!("one message gave {other:?}"),
        };
        prop_assert_eq!(ours, reference(&text, implied_type));
    }
}

// The reference: every field read from a `Value` map.

fn reference(raw: &str, implied_type: Option<MessageType>) -> Result<Option<Message>, String> {
    let value: Value =
        serde_json::from_str(raw).map_err(|e| format!("message is not valid JSON: {e}"))?;
    let Value::Object(map) = value else {
        return Err("message is not a JSON object".into());
    };
    let kind = match (string(&map, "type")?, implied_type) {
        (Some(name), _) => MessageType::parse(&name)
            .ok_or_else(|| format!("unknown type `{name}`; expected page, screen, track, identify, alias, group or delete"))?,
        (None, Some(implied)) => implied,
        (None, None) => return Err("missing field `type`".into()),
    };
    if kind == MessageType::Delete {
        id(&map, "messageId")?;
        id(&map, "userId")?
            .ok_or("delete message without `userId`: a deletion names the user to erase")?;
        return Ok(None);
    }
    let message_id = id(&map, "messageId")?.ok_or("missing field `messageId`")?;
    let anonymous_id = id(&map, "anonymousId")?;
    let user_id = id(&map, "userId")?;
    if anonymous_id.is_none() && user_id.is_none() {
        return Err("missing identity: one of `anonymousId` or `userId` is required".into());
    }
    let previous_id = id(&map, "previousId")?;
    if kind == MessageType::Alias && previous_id.is_none() {
        return Err("alias message without `previousId`".into());
    }
    let object =
        |map: &Map<String, Value>, key: &str| map.get(key).and_then(Value::as_object).cloned();
    let properties = object(&map, "properties");
    let context = object(&map, "context");
    let loose_id = |map: Option<&Map<String, Value>>| match map?.get("groupId")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        _ => None,
    };
    let group_id = match kind {
        MessageType::Group => id(&map, "groupId")?,
        _ => loose_id(context.as_ref()).or_else(|| loose_id(properties.as_ref())),
    };
    let time = |field: &str| -> Result<Option<DateTime<Utc>>, String> {
        string(&map, field)?
            .map(|text| {
                parse_time(&text).ok_or_else(|| {
                    format!("invalid `{field}`: {text:?} is not an ISO-8601 date-time")
                })
            })
            .transpose()
    };
    let first = |fields: &[&str]| -> Result<Option<DateTime<Utc>>, String> {
        for field in fields {
            if let Some(at) = time(field)? {
                return Ok(Some(at));
            }
        }
        Ok(None)
    };
    let corrected = match time("sentAt")? {
        Some(sent) => match first(&["originalTimestamp", "timestamp"])? {
            Some(client) => Some(time("receivedAt")?.unwrap_or_else(received_at) - (sent - client)),
            None => None,
        },
        None => None,
    };
    let timestamp = match corrected {
        Some(at) => Some(at),
        None => first(&["timestamp", "originalTimestamp", "receivedAt"])?,
    };
    let event = string(&map, "event")?;
    if kind == MessageType::Track && event.is_none() {
        return Err("track message without `event`".into());
    }
    let page = context.as_ref().and_then(|c| object(c, "page"));
    let page_field =
        |key: &str| loose(page.as_ref(), key).or_else(|| loose(properties.as_ref(), key));
    let (url, referrer, user_agent) = match kind.is_view() {
        true => (
            page_field("url"),
            page_field("referrer"),
            loose(context.as_ref(), "userAgent"),
        ),
        false => (None, None, None),
    };
    let c = context.as_ref().and_then(|c| object(c, "campaign"));
    let campaign = Campaign {
        source: loose(c.as_ref(), "source"),
        medium: loose(c.as_ref(), "medium"),
        name: loose(c.as_ref(), "name"),
        term: loose(c.as_ref(), "term"),
        content: loose(c.as_ref(), "content"),
        id: loose(c.as_ref(), "id"),
    };
    let number = |key: &str| match properties.as_ref()?.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let value = match (kind, number("revenue").map(|v| ("revenue", v))) {
        (MessageType::Track, Some(found)) => Some(found),
        (MessageType::Track, None) => number("value")
            .map(|v| ("value", v))
            .or_else(|| number("amount").map(|v| ("amount", v))),
        _ => None,
    };
    let value = match value {
        Some((key, v)) if !v.is_finite() || v.abs() > 1e12 => {
            return Err(format!(
                "`properties.{key}` is {v:e}; a value must be finite and within ±1e12"
            ));
        }
        Some((_, v)) => Some(v + 0.0),
        None => None,
    };
    let timestamp = timestamp.unwrap_or_else(received_at);
    let earliest = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    if timestamp < earliest || timestamp > received_at() + chrono::TimeDelta::days(1) {
        return Err(format!(
            "`timestamp` {} is implausible: sma takes times from 2000-01-01 to a day after \
             arrival (after correcting the client's clock by `sentAt`)",
            timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ));
    }
    Ok(Some(Message {
        message_type: kind,
        message_id,
        anonymous_id,
        user_id,
        previous_id,
        timestamp,
        event,
        name: loose(Some(&map), "name"),
        url,
        referrer,
        user_agent,
        campaign,
        value,
        group_id,
        raw: raw.to_owned(),
    }))
}

fn string(map: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("invalid `{field}`: expected a string")),
    }
}

fn id(map: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match map.get(field) {
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(_) | Value::Array(_) | Value::Object(_)) => {
            Err(format!("invalid `{field}`: expected a string or a number"))
        }
        _ => string(map, field).map(|s| s.map(|s| s.trim().to_owned())),
    }
}

fn loose(map: Option<&Map<String, Value>>, key: &str) -> Option<String> {
    match map?.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}
