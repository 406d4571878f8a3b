//! An archive that holds another message under a used messageId: the first is
//! stored, a true copy counts as a duplicate, and the other is rejected with
//! the reason in the summary.

use serde_json::{Value, json};

use super::{Scratch, n};

#[test]
fn another_message_under_a_used_id_is_rejected_with_its_reason() {
    let s = Scratch::new();
    let page = |url: &str, received: &str| {
        json!({"type": "page", "messageId": "m1", "anonymousId": "a1",
               "timestamp": "2024-05-01T10:00:00Z", "receivedAt": received,
               "properties": {"url": url}})
        .to_string()
    };
    let file = s.path("reused.jsonl");
    let lines = [
        page("https://acme.io/", "2024-05-01T10:00:01Z"),
        page("https://acme.io/", "2024-05-01T10:05:00Z"),
        page("https://evil.io/", "2024-05-01T10:00:01Z"),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (output, summary) = s.import(&s.path("sma.db"), &[&file]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        (
            n(&summary, "stored"),
            n(&summary, "duplicates"),
            n(&summary, "rejected")
        ),
        (1, 1, 1),
        "{summary}"
    );
    let reasons: Vec<&Value> = summary["rejections"].as_array().unwrap().iter().collect();
    assert_eq!(reasons.len(), 1, "{summary}");
    assert!(
        reasons[0]["examples"][0]["error"]
            .as_str()
            .unwrap()
            .contains("taken by another message"),
        "{summary}"
    );
}
