//! The SAM template takes every secret as a required `NoEcho` parameter: no
//! default (a deploy without it fails instead of running open), never shown by
//! CloudFormation, and handed to the functions under the name sma reads.

use serde_yaml::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).expect("template.yaml is YAML")
}

#[test]
fn secrets_are_required_no_echo_parameters() {
    let template = template();
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    for (parameter, variable) in [
        ("ApiToken", "API_TOKEN"),
        ("SegmentSharedSecret", "SEGMENT_SHARED_SECRET"),
        ("AnalyticsWriteKey", "ANALYTICS_WRITE_KEY"),
    ] {
        let p = &template["Parameters"][parameter];
        assert_eq!(p["Type"].as_str(), Some("String"), "{parameter}");
        assert_eq!(p["NoEcho"].as_bool(), Some(true), "{parameter} is NoEcho");
        assert!(p.get("Default").is_none(), "{parameter} has no default");
        assert!(
            p["MinLength"].as_u64().is_some_and(|n| n >= 1),
            "{parameter} cannot be blank"
        );
        assert!(
            text.contains(&format!("{variable}: !Ref {parameter}")),
            "{parameter} reaches the functions as {variable}"
        );
    }
    // The optional one: NoEcho too, empty by default (only the bearer token then).
    let keys = &template["Parameters"]["IngestWriteKeys"];
    assert_eq!(keys["NoEcho"].as_bool(), Some(true));
}
