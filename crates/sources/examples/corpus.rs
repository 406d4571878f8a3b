//! Prints the benchmark corpus as JSON lines `{"url": ..., "referrer": ...}`, so other
//! tools (the peer comparison in scripts/bench-sources) classify exactly the same pairs.

#[path = "../benches/support/corpus.rs"]
mod corpus;

use std::io::Write;

fn main() {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (url, referrer) in corpus::corpus() {
        let line = serde_json::json!({ "url": url, "referrer": referrer });
        if writeln!(out, "{line}").is_err() {
            return; // reader went away (e.g. `| head`)
        }
    }
}
