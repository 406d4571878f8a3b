//! The import reader (`sma import`): archive bytes -> records -> messages. Never
//! panics, keeps memory to the record cap, and on plain newline-delimited input
//! yields exactly the non-blank lines with their line numbers.
//!
//! Input: one flags byte, then the payload.
//! - bit 0: the name allows a JSON array (`.json` file)
//! - bit 1: gzip the payload's lines first (as Segment's archive does), bit 2: then
//!   cut the compressed bytes short (the second byte says where)
//! - bits 3-4: record cap 16 / 64 / 4096 / default
//! - bits 5-6: the input arrives 1 / 3 / 4096 bytes / all at a time
#![no_main]

use std::io::{self, Read};

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use sma_archive::{DEFAULT_MAX_RECORD_BYTES, GzipLines, Records};
use sma_spec::{ParseOptions, parse_body};

/// A reader that hands out at most `chunk` bytes a call, like a slow pipe.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    chunk: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn gzip_lines(payload: &[u8], per_member: usize) -> Vec<u8> {
    let mut writer = GzipLines::new(Vec::new(), per_member, 1);
    for line in payload.split(|&b| b == b'\n') {
        writer.write_line(line).expect("in memory");
    }
    writer.finish().expect("in memory")
}

/// What a plain reader must yield: each line (1-based number, bytes) or, for one
/// over the cap, `None`; blank lines are not records.
fn expected(text: &[u8], max: usize) -> Vec<(u64, Option<Vec<u8>>)> {
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    if text.ends_with(b"\n") || text.is_empty() {
        lines.pop();
    }
    lines
        .into_iter()
        .enumerate()
        .filter(|(_, l)| l.len() > max || !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, l)| (i as u64 + 1, (l.len() <= max).then(|| l.to_vec())))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let array_allowed = flags & 1 != 0;
    let gzip = flags & 2 != 0;
    let cut = gzip && flags & 4 != 0;
    let max = [16, 64, 4096, DEFAULT_MAX_RECORD_BYTES][usize::from(flags >> 3 & 3)];
    let chunk = [1, 3, 4096, usize::MAX][usize::from(flags >> 5 & 3)];
    let (cut_at, payload) = match (cut, rest.split_first()) {
        (true, Some((&at, payload))) => (Some(at), payload),
        _ => (None, rest),
    };
    let mut input = if gzip {
        gzip_lines(payload, 1 + payload.len() % 4)
    } else {
        payload.to_vec()
    };
    if let Some(at) = cut_at {
        input.truncate(input.len() * usize::from(at) / 256);
    }
    let reader = Trickle {
        data: input.clone(),
        at: 0,
        chunk,
    };
    let records = Records::from_reader(reader, array_allowed, max).expect("memory never fails");
    assert_eq!(records.is_gzip(), input.starts_with(&[0x1f, 0x8b]));

    let opts = ParseOptions {
        implied_type: None,
        received_at: DateTime::from_timestamp(1_714_564_800, 0).expect("valid time"),
    };
    let mut got = Vec::new();
    let mut last_line = 0;
    let mut ended = false;
    for result in records.take(100_000) {
        assert!(!ended, "nothing is read after an error that ends the input");
        match result {
            Ok(record) => {
                assert!(record.bytes.len() <= max, "a record is never over the cap");
                assert!(!record.bytes.iter().all(u8::is_ascii_whitespace));
                assert!(record.line >= 1 && record.line >= last_line);
                last_line = record.line;
                // What `sma import` does with each record.
                let _ = parse_body(&record.bytes, opts);
                got.push((record.line, Some(record.bytes)));
            }
            Err(error) => {
                assert!(error.line >= 1);
                ended = error.ends_input;
                got.push((error.line, None));
            }
        }
    }

    // Plain lines (not an array, not damaged, no byte-order mark or gzip magic to
    // sniff): exactly the non-blank lines, numbered from 1.
    let sniffed = payload.starts_with(&[0xEF]) || (!gzip && payload.starts_with(&[0x1f, 0x8b]));
    if !array_allowed && cut_at.is_none() && !sniffed {
        let text = if gzip {
            // GzipLines ends every line with a newline.
            let mut t = payload.to_vec();
            t.push(b'\n');
            t
        } else {
            payload.to_vec()
        };
        assert_eq!(
            got,
            expected(&text, max),
            "plain lines are read back exactly"
        );
    }
});
