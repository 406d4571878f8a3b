//! Writing archives as Segment does: newline-delimited JSON in gzip files made of
//! several gzip members (Segment appends a member per batch), so readers are
//! exercised on the multi-member form real archives take.

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

/// Lines into gzip members of at most `lines_per_member` lines each.
pub struct GzipLines<W: Write> {
    encoder: Option<GzEncoder<W>>,
    lines_in_member: usize,
    lines_per_member: usize,
    level: Compression,
}

impl<W: Write> GzipLines<W> {
    /// `level` is the zlib level, 0-9 (1 is fast and what bulk generation wants).
    pub fn new(inner: W, lines_per_member: usize, level: u32) -> GzipLines<W> {
        let level = Compression::new(level.min(9));
        GzipLines {
            encoder: Some(GzEncoder::new(inner, level)),
            lines_in_member: 0,
            lines_per_member: lines_per_member.max(1),
            level,
        }
    }

    /// Writes one line; `line` must not contain a newline.
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.lines_in_member == self.lines_per_member {
            let inner = self.take()?.finish()?;
            self.encoder = Some(GzEncoder::new(inner, self.level));
            self.lines_in_member = 0;
        }
        let encoder = self.encoder.as_mut().ok_or_else(finished)?;
        encoder.write_all(line)?;
        encoder.write_all(b"\n")?;
        self.lines_in_member += 1;
        Ok(())
    }

    /// Ends the last member and answers the inner writer (flushed).
    pub fn finish(mut self) -> io::Result<W> {
        let mut inner = self.take()?.finish()?;
        inner.flush()?;
        Ok(inner)
    }

    fn take(&mut self) -> io::Result<GzEncoder<W>> {
        self.encoder.take().ok_or_else(finished)
    }
}

fn finished() -> io::Error {
    io::Error::other("gzip writer used after an error")
}
