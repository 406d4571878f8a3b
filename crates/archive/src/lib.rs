//! Streaming readers for Segment archives, and a writer for the same form.
//!
//! Segment writes its S3 archive as `segment-logs/<source-id>/<day>/*.gz`: gzip'd
//! newline-delimited JSON, each file several gzip members. This crate turns PATHs
//! (files, directory trees of them, `-` for stdin) into a deterministic sequence of
//! [`Input`]s ([`collect`]), and each input into [`Records`]: one JSON value per
//! line (or the elements of one array in a `.json` file), with bounded memory (a
//! record over the cap is reported and skipped, never loaded) and per-record
//! errors that say where (a truncated gzip member keeps the lines before it).
//!
//! It knows nothing about Segment's message format: records are bytes, for the
//! parser downstream.

mod array;
mod lines;
mod records;
mod walk;
mod writer;

pub use records::{DEFAULT_MAX_RECORD_BYTES, ReadError, Record, RecordError, Records};
pub use walk::{Input, Inputs, PathProblem, collect, is_archive_name, natural_cmp};
pub use writer::GzipLines;
