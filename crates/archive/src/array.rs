//! The elements of one top-level JSON array, streamed: a `.json` export holding
//! `[ {...}, {...} ]` over any number of lines is read element by element, never
//! whole.
//!
//! The scanner only tracks strings and nesting to find where each element ends;
//! whether an element is valid JSON is for the parser downstream to say.

use std::io::{self, BufRead};

/// What [`ArrayReader::next_element`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Element {
    /// An element that starts on this line is in the buffer.
    Read(u64),
    /// The element starting on line `number` was `len` bytes, over the cap.
    TooLong {
        number: u64,
        len: u64,
    },
    /// The array is malformed here; `fatal` problems end the file.
    Problem {
        number: u64,
        message: &'static str,
        fatal: bool,
    },
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Open,
    /// After `[` or `,`: an element (or, after `[`, the closing `]`) comes next.
    Value {
        first: bool,
    },
    /// After the closing `]`: only whitespace may follow.
    Closed,
    Finished,
}

pub(crate) struct ArrayReader<R> {
    inner: R,
    max: usize,
    line: u64,
    state: State,
}

impl<R: BufRead> ArrayReader<R> {
    pub(crate) fn new(inner: R, max: usize, first_line: u64) -> ArrayReader<R> {
        ArrayReader {
            inner,
            max,
            line: first_line.max(1),
            state: State::Open,
        }
    }

    /// The line the scanner is on.
    pub(crate) fn number(&self) -> u64 {
        self.line
    }

    /// Reads the next element into `buf` (cleared first).
    pub(crate) fn next_element(&mut self, buf: &mut Vec<u8>) -> io::Result<Element> {
        buf.clear();
        loop {
            match self.state {
                State::Finished => return Ok(Element::End),
                State::Open => match self.skip_whitespace()? {
                    Some(b'[') => {
                        self.bump();
                        self.state = State::Value { first: true };
                    }
                    Some(_) => return Ok(self.fail("expected a JSON array")),
                    None => return Ok(self.fail("the file is empty")),
                },
                State::Value { first } => match self.skip_whitespace()? {
                    None => return Ok(self.fail("the file ends inside the array (truncated?)")),
                    Some(b']') => {
                        self.bump();
                        self.state = State::Closed;
                        if !first {
                            return Ok(self.problem("trailing comma before `]`"));
                        }
                    }
                    Some(b',') => {
                        self.bump();
                        return Ok(self.problem("empty element (two commas in a row)"));
                    }
                    Some(_) => return self.element(buf),
                },
                State::Closed => match self.skip_whitespace()? {
                    None => self.state = State::Finished,
                    Some(_) => {
                        return Ok(self.fail("unexpected data after the array's closing `]`"));
                    }
                },
            }
        }
    }

    /// Scans one element up to the `,` or `]` that ends it at nesting depth zero.
    fn element(&mut self, buf: &mut Vec<u8>) -> io::Result<Element> {
        let number = self.line;
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        let mut len: u64 = 0;
        loop {
            let Some(byte) = self.peek()? else {
                buf.clear();
                return Ok(self.fail("the file ends inside the array (truncated?)"));
            };
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
            } else {
                match byte {
                    b',' | b']' if depth == 0 => {
                        self.bump();
                        self.state = if byte == b',' {
                            State::Value { first: false }
                        } else {
                            State::Closed
                        };
                        return Ok(finish(buf, len, self.max, number));
                    }
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    // A stray closer is left for the parser to reject.
                    b'}' | b']' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            len += 1;
            if len <= self.max as u64 {
                buf.push(byte);
            } else if !buf.is_empty() {
                buf.clear();
            }
            self.bump();
        }
    }

    fn skip_whitespace(&mut self) -> io::Result<Option<u8>> {
        while let Some(byte) = self.peek()? {
            if !byte.is_ascii_whitespace() {
                return Ok(Some(byte));
            }
            self.bump();
        }
        Ok(None)
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.inner.fill_buf() {
                Ok(available) => return Ok(available.first().copied()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.state = State::Finished;
                    return Err(e);
                }
            }
        }
    }

    /// Consumes the byte [`ArrayReader::peek`] returned.
    fn bump(&mut self) {
        if self.inner.fill_buf().ok().and_then(|b| b.first().copied()) == Some(b'\n') {
            self.line += 1;
        }
        self.inner.consume(1);
    }

    fn problem(&self, message: &'static str) -> Element {
        Element::Problem {
            number: self.line,
            message,
            fatal: false,
        }
    }

    fn fail(&mut self, message: &'static str) -> Element {
        self.state = State::Finished;
        Element::Problem {
            number: self.line,
            message,
            fatal: true,
        }
    }
}

fn finish(buf: &mut Vec<u8>, len: u64, max: usize, number: u64) -> Element {
    if len > max as u64 {
        buf.clear();
        return Element::TooLong { number, len };
    }
    while buf.last().is_some_and(u8::is_ascii_whitespace) {
        buf.pop();
    }
    Element::Read(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str, max: usize) -> Vec<(Element, String)> {
        let reader = io::BufReader::with_capacity(2, input.as_bytes());
        let mut array = ArrayReader::new(reader, max, 1);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            let element = array.next_element(&mut buf).unwrap();
            if element == Element::End {
                return out;
            }
            out.push((element, String::from_utf8(buf.clone()).unwrap()));
        }
    }

    #[test]
    fn elements_over_several_lines() {
        let got = all(
            "[\n  {\"a\": \"x,]\\\"\"},\n  {\"b\": [1, {\"c\": 2}]}\n,3 ]\n",
            100,
        );
        assert_eq!(
            got,
            vec![
                (Element::Read(2), r#"{"a": "x,]\""}"#.to_owned()),
                (Element::Read(3), r#"{"b": [1, {"c": 2}]}"#.to_owned()),
                (Element::Read(4), "3".to_owned()),
            ]
        );
        assert!(all(" [ ] ", 100).is_empty());
    }

    #[test]
    fn problems_are_reported_where_they_are() {
        let got = all("[{\"a\":1},,{\"b\":2},]", 100);
        assert_eq!(got[0].0, Element::Read(1));
        assert!(matches!(got[1].0, Element::Problem { fatal: false, .. }));
        assert_eq!(got[2], (Element::Read(1), "{\"b\":2}".to_owned()));
        assert!(matches!(got[3].0, Element::Problem { fatal: false, .. }));
        assert_eq!(got.len(), 4);

        let truncated = all("[{\"a\":1},\n{\"b\":", 100);
        assert_eq!(truncated[0].0, Element::Read(1));
        assert_eq!(
            truncated[1].0,
            Element::Problem {
                number: 2,
                message: "the file ends inside the array (truncated?)",
                fatal: true
            }
        );
        let trailing = all("[1]\nx", 100);
        assert!(matches!(
            trailing[1].0,
            Element::Problem {
                number: 2,
                fatal: true,
                ..
            }
        ));
    }

    #[test]
    fn an_element_over_the_cap_is_skipped() {
        let got = all("[\"0123456789\", 1]", 5);
        assert_eq!(got[0].0, Element::TooLong { number: 1, len: 12 });
        assert_eq!(got[1], (Element::Read(1), "1".to_owned()));
    }
}
