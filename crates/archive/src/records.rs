//! One input's records: gzip or plain (sniffed from the bytes, not the name), one
//! JSON value per line or, for a `.json` file, the elements of one array.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::bufread::MultiGzDecoder;

use crate::array::{ArrayReader, Element};
use crate::lines::{Line, LineReader};

/// The default cap on one record: Segment's messages are at most 32 KB, so a
/// longer line is garbage, and reading it whole would make memory depend on input.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BOM: &[u8] = b"\xEF\xBB\xBF";
const BUFFER: usize = 64 * 1024;

/// One record (usually one Segment message) and the line it starts on (1-based;
/// for gzip, the line of the decompressed text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: u64,
    pub bytes: Vec<u8>,
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record is {len} bytes; the limit is {max} bytes")]
    TooLong { len: u64, max: usize },
    #[error("malformed JSON array: {0}")]
    Malformed(&'static str),
    #[error("gzip data ends early (truncated file?); the rest of the file is unreadable")]
    Truncated,
    #[error("unreadable ({0}); the rest of the file is skipped")]
    Io(io::Error),
}

/// A record that could not be read, and where.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct ReadError {
    pub line: u64,
    pub error: RecordError,
    /// True when nothing more can be read from this input after it.
    pub ends_input: bool,
}

/// The records of one input, read lazily with bounded memory.
pub struct Records {
    reader: Reader,
    buf: Vec<u8>,
    max: usize,
    consumed: Arc<AtomicU64>,
    gzip: bool,
}

enum Reader {
    /// Not looked at yet: the layout is decided on the first read, so that an
    /// unreadable start is reported as a record error, not an open failure.
    Unprobed {
        input: Box<dyn BufRead + Send>,
        array_allowed: bool,
    },
    Lines(LineReader<Box<dyn BufRead + Send>>),
    Array(ArrayReader<Box<dyn BufRead + Send>>),
    Done,
}

impl Records {
    /// Opens a file. A name ending in `.json` (or `.json.gz`) may hold one JSON
    /// array; anything else is one value per line.
    pub fn open_file(path: &std::path::Path, max: usize) -> io::Result<Records> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase());
        let array_allowed = name.is_some_and(|n| n.ends_with(".json") || n.ends_with(".json.gz"));
        Records::from_reader(File::open(path)?, array_allowed, max)
    }

    /// Reads any byte stream (stdin, a socket …): gzip when it starts with the
    /// gzip magic bytes.
    pub fn from_reader(
        input: impl Read + Send + 'static,
        array_allowed: bool,
        max: usize,
    ) -> io::Result<Records> {
        let consumed = Arc::new(AtomicU64::new(0));
        let counted = Counting {
            inner: input,
            consumed: Arc::clone(&consumed),
        };
        let (gzip, input) = sniff_gzip(counted)?;
        let raw = BufReader::with_capacity(BUFFER, input);
        let input: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(raw)))
        } else {
            Box::new(raw)
        };
        Ok(Records {
            reader: Reader::Unprobed {
                input,
                array_allowed,
            },
            buf: Vec::new(),
            max,
            consumed,
            gzip,
        })
    }

    /// Bytes taken from the underlying input so far (compressed bytes for gzip):
    /// progress against the file size.
    pub fn bytes_read(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }

    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    fn next_record(&mut self) -> Option<Result<Record, ReadError>> {
        loop {
            let result = match &mut self.reader {
                Reader::Done => return None,
                Reader::Unprobed { .. } => {
                    if let Err(e) = self.probe() {
                        return Some(Err(self.io_error(1, e)));
                    }
                    continue;
                }
                Reader::Lines(lines) => match lines.next_line(&mut self.buf) {
                    Ok(Line::Read(line)) => Ok(Some(line)),
                    Ok(Line::TooLong { number, len }) => Err((number, too_long(len, self.max))),
                    Ok(Line::End) => Ok(None),
                    Err(e) => {
                        let line = lines.number();
                        return Some(Err(self.io_error(line, e)));
                    }
                },
                Reader::Array(array) => match array.next_element(&mut self.buf) {
                    Ok(Element::Read(line)) => Ok(Some(line)),
                    Ok(Element::TooLong { number, len }) => Err((number, too_long(len, self.max))),
                    Ok(Element::Problem {
                        number,
                        message,
                        fatal,
                    }) => {
                        if fatal {
                            self.reader = Reader::Done;
                        }
                        return Some(Err(ReadError {
                            line: number,
                            error: RecordError::Malformed(message),
                            ends_input: fatal,
                        }));
                    }
                    Ok(Element::End) => Ok(None),
                    Err(e) => {
                        let line = array.number();
                        return Some(Err(self.io_error(line, e)));
                    }
                },
            };
            return match result {
                Ok(None) => {
                    self.reader = Reader::Done;
                    None
                }
                // Blank lines (and the whitespace between records) are not records.
                Ok(Some(_)) if self.buf.iter().all(u8::is_ascii_whitespace) => continue,
                Ok(Some(line)) => Some(Ok(Record {
                    line,
                    bytes: self.buf.clone(),
                })),
                Err((line, error)) => Some(Err(ReadError {
                    line,
                    error,
                    ends_input: false,
                })),
            };
        }
    }

    /// Skips a byte-order mark (and, where an array may start, whitespace), then
    /// picks the layout.
    fn probe(&mut self) -> io::Result<()> {
        let Reader::Unprobed {
            mut input,
            array_allowed,
        } = std::mem::replace(&mut self.reader, Reader::Done)
        else {
            return Ok(());
        };
        let (mut line, mut bom) = (1, Some(0));
        let first = loop {
            let Some(&byte) = input.fill_buf()?.first() else {
                break None;
            };
            // A byte-order mark, only at the very start, in as many reads as it takes.
            match bom {
                Some(i) if i < BOM.len() && byte == BOM[i] => bom = Some(i + 1),
                // Only a possible array needs its first real byte: lines keep theirs.
                _ if array_allowed && byte.is_ascii_whitespace() => {
                    bom = None;
                    line += u64::from(byte == b'\n');
                }
                _ => break Some(byte),
            }
            input.consume(1);
        };
        self.reader = if array_allowed && first == Some(b'[') {
            Reader::Array(ArrayReader::new(input, self.max, line))
        } else {
            Reader::Lines(LineReader::new(input, self.max, line))
        };
        Ok(())
    }

    /// A read failure ends the input: after corrupt or missing compressed data
    /// there is no telling where the next record starts.
    fn io_error(&mut self, line: u64, e: io::Error) -> ReadError {
        self.reader = Reader::Done;
        ReadError {
            line: line.max(1),
            error: classify(e, self.gzip),
            ends_input: true,
        }
    }
}

impl Iterator for Records {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

fn too_long(len: u64, max: usize) -> RecordError {
    RecordError::TooLong { len, max }
}

fn classify(e: io::Error, gzip: bool) -> RecordError {
    // flate2 reports a member cut short as an unexpected end of input.
    if gzip && e.kind() == io::ErrorKind::UnexpectedEof {
        RecordError::Truncated
    } else {
        RecordError::Io(e)
    }
}

/// An input with its first bytes read and put back in front.
type Replayed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Whether `input` starts with the gzip magic, and the input with those first
/// bytes put back (a pipe may deliver them one read at a time).
fn sniff_gzip<R: Read>(mut input: R) -> io::Result<(bool, Replayed<R>)> {
    let mut head = Vec::with_capacity(GZIP_MAGIC.len());
    while head.len() < GZIP_MAGIC.len() {
        let mut byte = [0u8; 1];
        match input.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => head.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((head == GZIP_MAGIC, io::Cursor::new(head).chain(input)))
}

/// Counts the bytes taken from the underlying input.
struct Counting<R> {
    inner: R,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
