//! What an import did, for a person (a table) or a program (`--json`): counts,
//! rejections grouped by reason with the first few places each happened, and the
//! problems that stopped a file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// Places kept per rejection reason: enough to find the pattern, bounded memory.
const EXAMPLES: usize = 3;
/// File-level problems kept in full.
const PROBLEMS: usize = 20;

/// Where something happened: `file:line`, or `file:line#index` for one message of
/// a multi-message line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub at: String,
    #[serde(rename = "messageId", skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub error: String,
}

/// Rejections sharing one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub reason: String,
    pub count: u64,
    pub examples: Vec<Example>,
}

/// The result of reading the inputs (the reader's half of the summary).
#[derive(Debug, Default)]
pub struct ReadTally {
    pub files: u64,
    pub lines: u64,
    pub events: u64,
    pub rejected: u64,
    pub rejections: BTreeMap<String, Reason>,
    pub problems: Vec<Example>,
    pub problem_count: u64,
    pub users: usize,
}

impl ReadTally {
    /// Counts a rejected event (or unusable line) under its reason.
    pub fn reject(&mut self, at: String, message_id: Option<String>, error: String) {
        self.rejected += 1;
        let key = reason_of(&error);
        let entry = self
            .rejections
            .entry(key.clone())
            .or_insert_with(|| Reason {
                reason: key,
                count: 0,
                examples: Vec::new(),
            });
        entry.count += 1;
        if entry.examples.len() < EXAMPLES {
            entry.examples.push(Example {
                at,
                message_id,
                error,
            });
        }
    }

    /// Records a problem that ended a file (or kept it from being read).
    pub fn problem(&mut self, at: String, error: String) {
        self.problem_count += 1;
        if self.problems.len() < PROBLEMS {
            self.problems.push(Example {
                at,
                message_id: None,
                error,
            });
        }
    }
}

/// The whole summary.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub files: u64,
    pub lines: u64,
    /// Messages read: stored + duplicates + deletions + rejected.
    pub events: u64,
    pub stored: u64,
    pub duplicates: u64,
    /// `delete` messages: each erased its user once the rest was imported.
    pub deletions: u64,
    pub erased: sma_store::Erased,
    pub rejected: u64,
    pub rejections: Vec<Reason>,
    /// Files (or parts of files) that could not be read.
    pub problem_count: u64,
    pub problems: Vec<Example>,
    /// Journeys whose ledger the import brought up to date.
    pub journeys_settled: u64,
    /// Touches derived now that were not stored before.
    pub new_touches: u64,
    pub users_seen: usize,
    pub seconds: f64,
    pub events_per_sec: u64,
}

impl Summary {
    pub fn new(read: ReadTally, stored: u64, duplicates: u64, seconds: f64) -> Summary {
        let mut rejections: Vec<Reason> = read.rejections.into_values().collect();
        rejections.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        Summary {
            files: read.files,
            lines: read.lines,
            events: read.events,
            stored,
            duplicates,
            deletions: 0,
            erased: sma_store::Erased::default(),
            rejected: read.rejected,
            rejections,
            problem_count: read.problem_count,
            problems: read.problems,
            journeys_settled: 0,
            new_touches: 0,
            users_seen: read.users,
            seconds,
            events_per_sec: if seconds > 0.0 {
                (read.events as f64 / seconds) as u64
            } else {
                0
            },
        }
    }

    /// The summary as a person reads it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "imported {} files: {} lines, {} events in {:.1}s ({} events/s)",
            self.files, self.lines, self.events, self.seconds, self.events_per_sec
        );
        for (label, n) in [
            ("stored", self.stored),
            ("duplicates", self.duplicates),
            ("deletions", self.deletions),
            ("rejected", self.rejected),
        ] {
            let _ = writeln!(out, "  {label:<11} {n}");
        }
        for reason in &self.rejections {
            let _ = writeln!(out, "    {} × {}", reason.count, reason.reason);
            for e in &reason.examples {
                let id = e
                    .message_id
                    .as_ref()
                    .map(|id| format!(" (messageId {id})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "      {}{id}: {}", e.at, e.error);
            }
        }
        if self.deletions > 0 {
            let e = &self.erased;
            let _ = writeln!(
                out,
                "    erased {} events, {} claims, {} touches, {} markers, {} ledger entries",
                e.events, e.claims, e.touches, e.markers, e.ledger
            );
        }
        if self.problem_count > 0 {
            let _ = writeln!(out, "  unreadable  {}", self.problem_count);
            for e in &self.problems {
                let _ = writeln!(out, "    {}: {}", e.at, e.error);
            }
        }
        let _ = writeln!(
            out,
            "  new touches {}, journeys settled {}, users seen {}",
            self.new_touches, self.journeys_settled, self.users_seen
        );
        out
    }
}

/// The part of an error message that names the problem, without the specifics
/// (positions, sizes) that would make every occurrence its own reason.
fn reason_of(error: &str) -> String {
    let head = error.split(": ").next().unwrap_or(error);
    let mut reason = String::with_capacity(head.len());
    let mut in_number = false;
    for c in head.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                reason.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            reason.push(c);
        }
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_without_specifics() {
        assert_eq!(
            reason_of("message is not valid JSON: expected value at line 1 column 9"),
            "message is not valid JSON"
        );
        assert_eq!(
            reason_of("message is 40000 bytes; the limit is 32768 bytes"),
            "message is N bytes; the limit is N bytes"
        );
        assert_eq!(
            reason_of("missing field `messageId`"),
            "missing field `messageId`"
        );
    }

    #[test]
    fn examples_are_bounded() {
        let mut tally = ReadTally::default();
        for line in 1..=10 {
            tally.reject(format!("a.jsonl:{line}"), None, "body is empty".into());
        }
        let reason = &tally.rejections["body is empty"];
        assert_eq!((reason.count, reason.examples.len()), (10, EXAMPLES));
        assert_eq!(reason.examples[0].at, "a.jsonl:1");
    }
}
