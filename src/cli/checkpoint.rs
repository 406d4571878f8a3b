//! Where a resumable command (`sma rebuild`, `sma backfill`) got to: one line in
//! a file beside the embedded store (`<SMA_DB>-<command>`), or in the working
//! directory for DynamoDB tables (`<EVENTS_TABLE>.<command>`). Written aside and
//! renamed, so a crash leaves the old line or the new one; removed when the run
//! is complete.

use std::path::PathBuf;

use anyhow::Context;
use sma_app::{StoreKind, StoreSettings};

pub struct Checkpoint {
    path: PathBuf,
}

impl Checkpoint {
    /// The checkpoint of `command` on the store `store` names.
    pub fn of(command: &str, store: &StoreSettings) -> Checkpoint {
        let path = match store.kind {
            StoreKind::Sqlite => {
                let mut path = store.sma_db.as_os_str().to_owned();
                path.push(format!("-{command}"));
                PathBuf::from(path)
            }
            StoreKind::Dynamodb => PathBuf::from(format!("{}.{command}", store.events_table)),
        };
        Checkpoint { path }
    }

    /// The line the last run left, if it did not complete.
    pub fn read(&self) -> anyhow::Result<Option<String>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(text.trim_end_matches('\n').to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.path.display())),
        }
    }

    pub fn write(&self, line: &str) -> anyhow::Result<()> {
        let aside = self.path.with_extension("tmp");
        std::fs::write(&aside, format!("{line}\n"))
            .and_then(|()| std::fs::rename(&aside, &self.path))
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// A checkpoint that cannot be read back: the user decides what to do.
    pub fn unreadable(&self) -> anyhow::Error {
        anyhow::anyhow!(
            "{} is not a checkpoint of this command; remove it to start from the beginning",
            self.path.display()
        )
    }

    /// The run completed: the next one starts from the beginning.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
