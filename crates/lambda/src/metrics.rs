//! Business metrics in CloudWatch Embedded Metric Format: one JSON line on stdout
//! per invocation that counted something. CloudWatch Logs turns its `_aws` block
//! into metrics (namespace `sma`, dimension `Function`), with no API call, no
//! extra permission and no added latency.

use serde_json::{Map, Value, json};

/// The namespace of every metric sma publishes.
pub const NAMESPACE: &str = "sma";

/// The EMF document recording `counts` (metric name, count) for `function` at
/// `timestamp_ms`.
pub fn document(function: &str, counts: &[(&str, usize)], timestamp_ms: u128) -> Value {
    let mut root = Map::new();
    let definitions: Vec<Value> = counts
        .iter()
        .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
        .collect();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": definitions,
            }],
        }),
    );
    root.insert("Function".into(), json!(function));
    for (name, count) in counts {
        root.insert((*name).into(), json!(count));
    }
    Value::Object(root)
}

/// Publishes `counts` for this function (`AWS_LAMBDA_FUNCTION_NAME`).
pub fn emit(counts: &[(&str, usize)]) {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into());
    let now = std::time::UNIX_EPOCH
        .elapsed()
        .map_or(0, |elapsed| elapsed.as_millis());
    println!("{}", document(&function, counts, now));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_count_is_a_declared_metric_of_the_function() {
        let doc = document(
            "sma-prod-api",
            &[("TouchesCreated", 3), ("JourneysSettled", 2)],
            7,
        );
        assert_eq!(doc["_aws"]["Timestamp"], json!(7));
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], json!("sma"));
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        let declared: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(declared, ["TouchesCreated", "JourneysSettled"]);
        // EMF reads each metric's value, and the dimension's, from the root.
        assert_eq!(doc["TouchesCreated"], json!(3));
        assert_eq!(doc["JourneysSettled"], json!(2));
        assert_eq!(doc["Function"], json!("sma-prod-api"));
    }
}
