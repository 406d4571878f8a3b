//! The intake log's files, beside the database: `<db>-intake.<n>`, appended to
//! in turn. A file is deleted once every record in it is applied, and a new one
//! started when the current one has grown past [`SEGMENT_BYTES`], so that the
//! log stays short under writes that never pause. `<db>-intake.lock` keeps a
//! second server off the same log; `<db>-intake.failed` keeps the bodies the
//! database refused.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::record;
use sma_store::StoreError;

/// Bytes after which the next record starts a new file (fewer in tests).
const SEGMENT_BYTES: u64 = if cfg!(test) { 4 << 10 } else { 16 << 20 };

pub(super) struct Segments {
    /// `<db>-intake.`: a file's number follows.
    prefix: PathBuf,
    current: File,
    number: u64,
    bytes: u64,
    /// The last record (its sequence number) in the current file, if any.
    last: Option<u64>,
    /// Earlier files not yet deleted: number and last record.
    closed: VecDeque<(u64, u64)>,
    _lock: File,
}

/// What the last run left: the records still in its log, in order (applied
/// or not: applying is idempotent), and the files they are in.
pub(super) struct Leftover {
    pub records: Vec<Vec<u8>>,
    pub files: Vec<PathBuf>,
}

impl Segments {
    /// Opens the log of the database at `db`; answers it and the records an
    /// earlier run left unapplied (every record still in the log).
    pub(super) fn open(db: &Path) -> Result<(Segments, Leftover), StoreError> {
        let mut prefix = db.as_os_str().to_owned();
        prefix.push("-intake.");
        let prefix = PathBuf::from(prefix);
        let lock = open_lock(&with_suffix(&prefix, "lock"))?;
        let mut numbered = existing(&prefix)?;
        numbered.sort();
        let mut leftover = Leftover {
            records: Vec::new(),
            files: Vec::new(),
        };
        for &number in &numbered {
            let path = with_suffix(&prefix, &number.to_string());
            let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
            let (records, cut) = record::split(&bytes);
            if cut > 0 {
                tracing::warn!(file = %path.display(), bytes = cut, "intake log ends in an incomplete record (a crash while it was written); skipped");
            }
            leftover
                .records
                .extend(records.into_iter().map(<[u8]>::to_vec));
            leftover.files.push(path);
        }
        let number = numbered.last().map_or(0, |n| n + 1);
        let segments = Segments {
            current: create(&with_suffix(&prefix, &number.to_string()))?,
            prefix,
            number,
            bytes: 0,
            last: None,
            closed: VecDeque::new(),
            _lock: lock,
        };
        Ok((segments, leftover))
    }

    /// Appends record number `seq` (no fsync, as the database's own commits;
    /// one write, so a process crash leaves it whole or cut at the end, where
    /// the CRC finds it). A write that fails part-way is cut off again, so that
    /// no garbage comes before later records.
    pub(super) fn append(&mut self, seq: u64, record: &[u8]) -> Result<(), StoreError> {
        if self.bytes >= SEGMENT_BYTES {
            let next = create(&self.path(self.number + 1))?;
            let full = std::mem::replace(&mut self.current, next);
            drop(full);
            if let Some(last) = self.last.take() {
                self.closed.push_back((self.number, last));
            } else {
                remove(&self.path(self.number));
            }
            self.number += 1;
            self.bytes = 0;
        }
        if let Err(e) = self.current.write_all(record) {
            if self.current.set_len(self.bytes).is_err() {
                // The next record starts a new file; replay stops at the cut
                // here, after this file's last whole record.
                self.bytes = SEGMENT_BYTES;
            }
            return Err(StoreError::Unavailable(format!(
                "cannot append to the intake log: {e}"
            )));
        }
        self.bytes += record.len() as u64;
        self.last = Some(seq);
        Ok(())
    }

    /// Every record up to `seq` is applied: deletes the files that hold only
    /// such records, and empties the current one if it does.
    pub(super) fn applied_through(&mut self, seq: u64) {
        while let Some(&(number, last)) = self.closed.front() {
            if last > seq {
                return;
            }
            remove(&self.path(number));
            self.closed.pop_front();
        }
        if self.last.is_some_and(|last| last <= seq) {
            match self.current.set_len(0) {
                Ok(()) => {
                    self.bytes = 0;
                    self.last = None;
                }
                Err(e) => tracing::warn!(error = %e, "cannot empty the intake log"),
            }
        }
    }

    /// Appends a record to `<db>-intake.failed` (never replayed); answers
    /// where it is.
    pub(super) fn set_aside(&self, record: &[u8]) -> Result<PathBuf, StoreError> {
        let path = with_suffix(&self.prefix, "failed");
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(record))
            .map_err(|e| io_error(&path, e))?;
        Ok(path)
    }

    /// Deletes the files of the last run once their records are applied.
    pub(super) fn remove_leftover(files: &[PathBuf]) {
        files.iter().for_each(|f| remove(f));
    }

    fn path(&self, number: u64) -> PathBuf {
        with_suffix(&self.prefix, &number.to_string())
    }
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut path = prefix.as_os_str().to_owned();
    path.push(suffix);
    PathBuf::from(path)
}

/// The numbers of the log files that exist.
fn existing(prefix: &Path) -> Result<Vec<u64>, StoreError> {
    let dir = prefix
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = prefix.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        StoreError::Backend(format!(
            "{}: the database's file name is not UTF-8",
            prefix.display()
        ))
    })?;
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    Ok(entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let suffix = name.strip_prefix(stem)?;
            // Only the names this log writes ("7", not "007" or "+7").
            let number: u64 = suffix.parse().ok()?;
            (number.to_string() == suffix).then_some(number)
        })
        .collect())
}

fn open_lock(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => StoreError::Backend(format!(
            "another sma serve is using this database ({} is held)",
            path.display()
        )),
        std::fs::TryLockError::Error(e) => io_error(path, e),
    })?;
    Ok(file)
}

/// A new file, appended to (after `set_len(0)` the next record starts at 0).
fn create(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(path)
        .map_err(|e| io_error(path, e))
}

fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(file = %path.display(), error = %e, "cannot delete an applied intake log file");
    }
}

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("intake log {}: {e}", path.display()))
}
