//! `sma gen`: the same seed writes the same archive byte for byte, laid out as
//! Segment's S3 destination lays it out, with the sources and events a real
//! site's history holds.

use std::path::Path;

use rusqlite::Connection;
use sma_archive::Source;

use super::{Scratch, archive_lines};

#[test]
fn gen_is_deterministic_and_realistic() {
    let s = Scratch::new();
    let one = s.generate("one", 600, 30, 21);
    let two = s.generate("two", 600, 30, 21);
    let other = s.generate("other", 600, 30, 22);
    let files = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        sma_archive::collect(&[dir])
            .sources
            .iter()
            .map(|src| match src {
                Source::File { path, .. } => (
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(path).unwrap(),
                ),
                Source::Stdin => unreachable!(),
            })
            .collect()
    };
    assert_eq!(files(&one), files(&two), "same seed, same bytes");
    assert_ne!(archive_lines(&one), archive_lines(&other));
    for (name, _) in files(&one) {
        // segment-logs/<source-id>/<epoch-ms-of-day>/<n>.gz
        let parts: Vec<&str> = name.split('/').collect();
        assert_eq!(parts.len(), 4, "{name}");
        assert_eq!(parts[0], "segment-logs");
        assert_eq!(parts[2].parse::<i64>().unwrap() % 86_400_000, 0, "{name}");
        assert!(parts[3].ends_with(".gz"));
    }

    let text = archive_lines(&one).join("\n");
    for needle in [
        "gclid=",
        "utm_medium=cpc",
        "msclkid=",
        "fbclid=",
        "utm_medium=paid_social",
        "li_fat_id=",
        "https://t.co/",
        "utm_medium=email",
        "https://chatgpt.com/",
        "https://www.perplexity.ai/",
        "https://duckduckgo.com/",
        "https://www.bing.com/",
        "\"referrer\":\"\"",
        "\"type\":\"identify\"",
        "\"event\":\"Signed Up\"",
        "\"event\":\"Demo Request\"",
        "\"event\":\"Order Completed\"",
        "\"revenue\":",
        "\"event\":\"Lead Created\"",
    ] {
        assert!(text.contains(needle), "no {needle} in the archive");
    }

    // Imported, some users own several devices (identify on login linked them).
    let db = s.path("sma.db");
    s.import(&db, &[&one]);
    let conn = Connection::open(&db).unwrap();
    let multi: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT user_id FROM identity_claims GROUP BY user_id HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(multi > 0, "no user with several devices");
}
