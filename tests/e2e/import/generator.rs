//! `sma gen`: the same seed writes the same archive byte for byte, laid out as
//! Segment's S3 destination lays it out, with the sources and events a real
//! site's history holds.

use std::path::Path;

use rusqlite::Connection;
use sma_archive::Input;

use super::{Scratch, archive_lines};

#[test]
fn gen_is_deterministic_and_realistic() {
    let s = Scratch::new();
    let one = s.generate("one", 600, 30, 21);
    let two = s.generate("two", 600, 30, 21);
    let other = s.generate("other", 600, 30, 22);
    let files = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        sma_archive::collect(&[dir])
            .inputs
            .iter()
            .map(|src| match src {
                Input::File { path, .. } => (
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(path).unwrap(),
                ),
                Input::Stdin => unreachable!(),
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

/// `--profile realistic` is a real site's traffic: most devices are seen for
/// one or two page views, where the default profile's visitors come back.
#[test]
fn the_realistic_profile_is_mostly_one_or_two_page_views() {
    let s = Scratch::new();
    let share_brief = |dir: &Path| {
        let mut views: std::collections::HashMap<String, u32> = Default::default();
        for line in archive_lines(dir) {
            let message: serde_json::Value = serde_json::from_str(&line).unwrap();
            if message["type"] == "page" {
                *views
                    .entry(message["anonymousId"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
        let brief = views.values().filter(|&&n| n <= 2).count();
        brief as f64 / views.len() as f64
    };
    let engaged = s.generate("engaged", 1_000, 30, 5);
    let realistic = s.path("realistic");
    let output = s
        .sma(&s.path("unused.db"))
        .args(["gen", "--visitors", "1000", "--days", "30", "--seed", "5"])
        .args(["--profile", "realistic", "--out"])
        .arg(&realistic)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (engaged, realistic) = (share_brief(&engaged), share_brief(&realistic));
    assert!(
        realistic > 0.75,
        "realistic: {realistic:.2} of devices with 1-2 page views"
    );
    assert!(engaged < 0.6, "engaged: {engaged:.2}");
}
