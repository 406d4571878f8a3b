//! Newline-delimited records with a length cap: memory stays bounded whatever a
//! file holds, even a multi-gigabyte "line" with no newline in it.

use std::io::{self, BufRead};

/// What [`LineReader::next_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line of this (1-based) number is in the buffer, without its newline.
    Read(u64),
    /// Line `number` was `len` bytes, over the cap: skipped, the buffer is empty.
    TooLong { number: u64, len: u64 },
    /// No more lines.
    End,
}

/// Reads lines into a caller-owned buffer, never holding more than `max` bytes of
/// one line.
pub(crate) struct LineReader<R> {
    inner: R,
    max: usize,
    number: u64,
}

impl<R: BufRead> LineReader<R> {
    /// `first_line` is the number the next line gets (lines consumed before, such as
    /// leading blank lines a format probe skipped, keep their count).
    pub(crate) fn new(inner: R, max: usize, first_line: u64) -> LineReader<R> {
        LineReader {
            inner,
            max,
            number: first_line.saturating_sub(1),
        }
    }

    /// The number of the line being read (or last read).
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    /// Reads the next line into `buf` (cleared first). On an error the partial
    /// line is discarded: the caller reports it at [`LineReader::number`].
    pub(crate) fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Line> {
        buf.clear();
        let mut len: u64 = 0;
        let mut started = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if !started {
                        self.number += 1;
                    }
                    return Err(e);
                }
            };
            if available.is_empty() {
                if !started {
                    return Ok(Line::End);
                }
                return Ok(self.finish(buf, len));
            }
            if !started {
                started = true;
                self.number += 1;
            }
            let (chunk, used, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            len += chunk.len() as u64;
            // Past the cap the bytes are only counted, so memory stays bounded.
            if len <= self.max as u64 {
                buf.extend_from_slice(chunk);
            } else if !buf.is_empty() {
                buf.clear();
                buf.shrink_to(self.max.min(1 << 16));
            }
            self.inner.consume(used);
            if done {
                return Ok(self.finish(buf, len));
            }
        }
    }

    fn finish(&self, buf: &mut Vec<u8>, len: u64) -> Line {
        if len > self.max as u64 {
            buf.clear();
            Line::TooLong {
                number: self.number,
                len,
            }
        } else {
            Line::Read(self.number)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<(Line, Vec<u8>)> {
        // A tiny buffer makes lines straddle refills.
        let reader = io::BufReader::with_capacity(3, input);
        let mut lines = LineReader::new(reader, max, 1);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            let line = lines.next_line(&mut buf).unwrap();
            if line == Line::End {
                return out;
            }
            out.push((line, buf.clone()));
        }
    }

    #[test]
    fn splits_lines_with_and_without_a_final_newline() {
        let got = all(b"ab\n\ncdef\ng", 10);
        assert_eq!(
            got,
            vec![
                (Line::Read(1), b"ab".to_vec()),
                (Line::Read(2), b"".to_vec()),
                (Line::Read(3), b"cdef".to_vec()),
                (Line::Read(4), b"g".to_vec()),
            ]
        );
        assert!(all(b"", 10).is_empty());
    }

    #[test]
    fn a_line_over_the_cap_is_skipped_and_counted() {
        let got = all(b"12345\n123456789\nok\n12345678901", 8);
        assert_eq!(got[0], (Line::Read(1), b"12345".to_vec()));
        assert_eq!(got[1], (Line::TooLong { number: 2, len: 9 }, vec![]));
        assert_eq!(got[2], (Line::Read(3), b"ok".to_vec()));
        assert_eq!(got[3], (Line::TooLong { number: 4, len: 11 }, vec![]));
    }

    #[test]
    fn exactly_the_cap_is_fine() {
        let got = all(b"12345678\n", 8);
        assert_eq!(got, vec![(Line::Read(1), b"12345678".to_vec())]);
    }
}
