//! What a downstream tool adds up from the messages Segment ingested: each
//! messageId counted once (Segment deduplicates), a numeric property summed per
//! value of another (a Mixpanel "sum of value_linear by channel").

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// (group, property) -> sum of `property` over the `event` tracks whose
/// `group_by` property is `group`.
pub type Sums = BTreeMap<(String, String), f64>;

/// Sums each of `properties` over the distinct `event` tracks in `messages`,
/// grouped by their `group_by` property. A property a message lacks counts 0.
pub fn sum_by(messages: &[Value], event: &str, group_by: &str, properties: &[String]) -> Sums {
    let mut seen = BTreeSet::new();
    let mut sums = Sums::new();
    for message in messages.iter().filter(|m| m["event"] == event) {
        let id = message["messageId"].as_str().unwrap_or_default();
        if !seen.insert(id) {
            continue;
        }
        let p = &message["properties"];
        let group = p[group_by].as_str().unwrap_or_default();
        for property in properties {
            *sums
                .entry((group.to_owned(), property.clone()))
                .or_default() += p[property].as_f64().unwrap_or(0.0);
        }
    }
    sums
}

/// Whether two sums agree within `tolerance`, a key missing on one side
/// counting as 0.
pub fn sums_agree(a: &Sums, b: &Sums, tolerance: f64) -> bool {
    a.keys().chain(b.keys()).all(|key| {
        let (x, y) = (a.get(key).copied(), b.get(key).copied());
        (x.unwrap_or(0.0) - y.unwrap_or(0.0)).abs() <= tolerance
    })
}
