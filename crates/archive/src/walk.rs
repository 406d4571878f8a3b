//! From the PATHs a person types to the inputs to read, in a deterministic order.

use std::cmp::Ordering;
use std::io;
use std::path::{Path, PathBuf};

use crate::records::Records;

/// One input: a file, or standard input (`-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File { path: PathBuf, len: u64 },
}

impl Input {
    /// Opens the input's records, each capped at `max` bytes.
    pub fn open(&self, max: usize) -> io::Result<Records> {
        match self {
            Input::Stdin => Records::from_reader(io::stdin(), false, max),
            Input::File { path, .. } => Records::open_file(path, max),
        }
    }

    /// The size on disk, when known: the denominator of progress.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::Stdin => None,
            Input::File { len, .. } => Some(*len),
        }
    }
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Stdin => f.write_str("-"),
            Input::File { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// A PATH (or an entry under it) that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct PathProblem {
    pub path: String,
    pub problem: String,
}

/// The inputs found under some PATHs, and what could not be looked at.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Inputs {
    pub inputs: Vec<Input>,
    pub problems: Vec<PathProblem>,
}

/// Whether a file found inside a directory is an archive file: `.gz`, `.jsonl`,
/// `.ndjson` or `.json` (any case), and not hidden. A file named on the command
/// line is read whatever its name.
pub fn is_archive_name(name: &str) -> bool {
    let name = name.to_lowercase();
    !name.starts_with('.')
        && [".gz", ".jsonl", ".ndjson", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// Expands PATHs: `-` is stdin, a file is itself, a directory is every archive
/// file under it. Files come in natural path order (`2.gz` before `10.gz`), each
/// once, then stdin: the same PATHs always give the same sequence.
pub fn collect(paths: &[impl AsRef<Path>]) -> Inputs {
    let mut found = Inputs::default();
    let mut files = Vec::new();
    let mut stdin = false;
    for path in paths {
        let path = path.as_ref();
        if path.as_os_str() == "-" {
            stdin = true;
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => found.problems.push(problem(path, &e)),
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut files, &mut found.problems),
            Ok(meta) => files.push((path.to_path_buf(), meta.len())),
        }
    }
    files.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    found.inputs = files
        .into_iter()
        .map(|(path, len)| Input::File { path, len })
        .collect();
    if stdin {
        found.inputs.push(Input::Stdin);
    }
    found
}

fn walk_dir(dir: &Path, files: &mut Vec<(PathBuf, u64)>, problems: &mut Vec<PathProblem>) {
    let walker = walkdir::WalkDir::new(dir).follow_links(true);
    // Hidden directories (.git, a checkpoint directory …) are not part of an archive.
    let entries = walker
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in entries {
        match entry {
            Err(e) => problems.push(PathProblem {
                path: e
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string()),
                problem: e.io_error().map_or_else(|| e.to_string(), describe),
            }),
            Ok(entry) if entry.file_type().is_file() => {
                if is_archive_name(&entry.file_name().to_string_lossy()) {
                    match entry.metadata() {
                        Ok(meta) => files.push((entry.into_path(), meta.len())),
                        Err(e) => problems.push(PathProblem {
                            path: entry.path().display().to_string(),
                            problem: e.to_string(),
                        }),
                    }
                }
            }
            Ok(_) => {}
        }
    }
}

fn problem(path: &Path, e: &io::Error) -> PathProblem {
    PathProblem {
        path: path.display().to_string(),
        problem: describe(e),
    }
}

fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Compares paths with digit runs read as numbers, so the numbered files of an
/// archive day (`9.gz`, `10.gz`) come in the order they were written.
pub fn natural_cmp(a: &Path, b: &Path) -> Ordering {
    let (a, b) = (a.to_string_lossy(), b.to_string_lossy());
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = split_digits(a);
                let (db, rb) = split_digits(b);
                let order = number_cmp(da, db).then_with(|| da.cmp(db));
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Compares two digit strings by value, whatever their length.
fn number_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (trim_zeros(a), trim_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut paths: Vec<PathBuf> =
            ["d/10.gz", "d/9.gz", "d/09.gz", "c/1.gz", "d/a.gz", "d/1.gz"]
                .iter()
                .map(PathBuf::from)
                .collect();
        paths.sort_by(|a, b| natural_cmp(a, b));
        let names: Vec<_> = paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["c/1.gz", "d/1.gz", "d/09.gz", "d/9.gz", "d/10.gz", "d/a.gz"]
        );
    }

    #[test]
    fn archive_names() {
        for yes in ["1.gz", "a.JSONL", "x.ndjson", "y.json", "z.json.gz"] {
            assert!(is_archive_name(yes), "{yes}");
        }
        for no in [".hidden.gz", "notes.txt", "gz", "a.json.bak"] {
            assert!(!is_archive_name(no), "{no}");
        }
    }
}
