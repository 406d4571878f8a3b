//! Path ids: every channel path ever counted has one row in `paths`, given an
//! id the first time a write counts it. Ids are never reused or removed, so a
//! reader keeps its own copy of the table and only reads the rows added since.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};

use super::{from_json, unreadable};
use sma_store::Labels;

/// The id of `path` (its labels), given now if it has none.
pub(crate) fn intern(
    tx: &Connection,
    given: &mut HashMap<Vec<String>, u32>,
    path: &[String],
) -> rusqlite::Result<u32> {
    if let Some(&id) = given.get(path) {
        return Ok(id);
    }
    let text = serde_json::to_string(path).expect("labels serialise");
    let stored: Option<i64> = tx
        .prepare_cached("SELECT id FROM paths WHERE path = ?1")?
        .query_row([&text], |r| r.get(0))
        .optional()?;
    let id = match stored {
        Some(id) => id,
        None => {
            tx.prepare_cached("INSERT INTO paths (path) VALUES (?1)")?
                .execute([&text])?;
            tx.last_insert_rowid()
        }
    };
    let id = u32::try_from(id).map_err(|_| unreadable(format!("path id {id}")))?;
    given.insert(path.to_vec(), id);
    Ok(id)
}

/// A reader's copy of `paths`: each path coded as indices into one table of
/// labels.
#[derive(Debug, Default)]
pub(crate) struct PathIds {
    pub(crate) labels: Labels,
    /// The path of each id, at its index; empty where no id was given.
    pub(crate) paths: Vec<Box<[u32]>>,
    /// The highest id read.
    known: i64,
}

impl PathIds {
    /// Reads the paths given ids since the last call. Called after reading
    /// days of totals, it knows every id they hold: those were committed first.
    pub(crate) fn catch_up(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let mut stmt =
            conn.prepare_cached("SELECT id, path FROM paths WHERE id > ?1 ORDER BY id")?;
        let mut rows = stmt.query([self.known])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let labels: Vec<String> = from_json("path", row.get_ref(1)?.as_str()?)
                .map_err(|e| unreadable(format!("path {id}: {e}")))?;
            let index = usize::try_from(id).map_err(|_| unreadable(format!("path id {id}")))?;
            if self.paths.len() <= index {
                self.paths.resize(index + 1, Box::default());
            }
            self.paths[index] = labels.iter().map(|l| self.labels.code(l)).collect();
            self.known = id;
        }
        Ok(())
    }
}
