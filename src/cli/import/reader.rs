//! The reading half of an import: every input's records, parsed and validated,
//! cut into batches for the store. It runs on its own thread, so reading,
//! decompressing and parsing overlap with the store's writes.

use chrono::{DateTime, Utc};
use foldhash::HashSet;
use sma_archive::{Input, ReadError, Record};
use sma_spec::{Item, ParseOptions, parse_body};
use tokio::sync::mpsc::Sender;

use super::progress::{Progress, Unit};
use super::summary::ReadTally;

/// How to read.
pub struct ReadPlan {
    pub inputs: Vec<Input>,
    pub batch: usize,
    pub max_record_bytes: usize,
    /// The arrival time of last resort for messages that carry no time at all;
    /// fixed per import so a re-run reads them the same.
    pub received_at: DateTime<Utc>,
}

/// Reads everything, sending full batches of messages to `out`. Answers what it
/// read; stops early (without error) when the receiving side has gone away.
pub fn read_all(plan: ReadPlan, out: Sender<Vec<Item>>) -> ReadTally {
    let total: Option<u64> = plan.inputs.iter().map(Input::size).sum();
    let mut reader = Reader {
        tally: ReadTally::default(),
        users: HashSet::default(),
        batch: Vec::with_capacity(plan.batch),
        size: plan.batch.max(1),
        out,
        options: ParseOptions {
            implied_type: None,
            received_at: plan.received_at,
        },
        progress: Progress::new("import", "events", total, Unit::Bytes),
        done_bytes: 0,
    };
    for input in &plan.inputs {
        if !reader.read_input(input, plan.max_record_bytes) {
            break;
        }
    }
    reader.flush();
    reader.progress.finish();
    reader.tally.users = reader.users.len();
    reader.tally
}

struct Reader {
    tally: ReadTally,
    users: HashSet<String>,
    batch: Vec<Item>,
    size: usize,
    out: Sender<Vec<Item>>,
    options: ParseOptions,
    progress: Progress,
    /// Bytes of the inputs finished so far.
    done_bytes: u64,
}

impl Reader {
    /// Reads one input; false when the store side has stopped.
    fn read_input(&mut self, input: &Input, max: usize) -> bool {
        let name = input.to_string();
        let mut records = match input.open(max) {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "cannot open");
                self.tally.problem(name, format!("cannot open: {e}"));
                return true;
            }
        };
        self.tally.files += 1;
        let mut alive = true;
        while let Some(record) = records.next() {
            match record {
                Ok(record) => alive = self.record(&name, record),
                Err(e) => self.read_error(&name, e),
            }
            if !alive {
                break;
            }
            if self.tally.lines.is_multiple_of(4096) {
                self.progress
                    .update(self.done_bytes + records.bytes_read(), self.tally.events);
            }
        }
        self.done_bytes += input.size().unwrap_or_else(|| records.bytes_read());
        self.progress.update(self.done_bytes, self.tally.events);
        alive
    }

    fn record(&mut self, name: &str, record: Record) -> bool {
        self.tally.lines += 1;
        let at = |index: Option<usize>| match index {
            Some(i) => format!("{name}:{}#{i}", record.line),
            None => format!("{name}:{}", record.line),
        };
        let items = match parse_body(&record.bytes, self.options) {
            Ok(items) => items,
            Err(e) => {
                // An unusable line stands for (at least) one lost event.
                self.tally.events += 1;
                self.tally.reject(at(None), None, e.to_string());
                return true;
            }
        };
        let several = items.len() > 1;
        for item in items {
            self.tally.events += 1;
            match item {
                Item::Message(message) => {
                    if let Some(user) = &message.user_id
                        && !self.users.contains(user)
                    {
                        self.users.insert(user.clone());
                    }
                    self.batch.push(Item::Message(message));
                }
                deletion @ Item::Delete { .. } => self.batch.push(deletion),
                Item::Rejected(r) => {
                    let index = several.then_some(r.index);
                    self.tally.reject(at(index), r.message_id, r.error);
                }
            }
        }
        if self.batch.len() >= self.size {
            return self.flush();
        }
        true
    }

    fn read_error(&mut self, name: &str, e: ReadError) {
        let at = format!("{name}:{}", e.line);
        if e.ends_input {
            tracing::warn!(at = %at, error = %e.error, "stopped reading a file");
            self.tally.problem(at, e.error.to_string());
        } else {
            self.tally.events += 1;
            self.tally.reject(at, None, e.error.to_string());
        }
    }

    /// Hands the batch to the store; false when nobody is receiving any more.
    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.size));
        self.out.blocking_send(batch).is_ok()
    }
}
