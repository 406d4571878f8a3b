//! Raw messages (and touches) packed with zstd and a dictionary trained on the
//! store's own messages: a Segment message is a kilobyte of JSON that shares its
//! keys, its library, its site's URLs and its visitors' user agents with every
//! other, so alone it compresses about 2x, and with a dictionary of 16 KiB about
//! 6x. The database, and the pages every write puts through the WAL, shrink
//! with it.
//!
//! The first [`TRAIN_AT`] events are stored as text; before its next
//! transaction the writer trains a dictionary on the latest of them and stores
//! it in `raw_dictionaries`, and from then on `events.raw` and `touches.touch`
//! hold a blob: [`MARK`], the dictionary's id (u32, little-endian) and a zstd
//! frame. Text rows stay text; both read the same through `sma_unpack`, and a
//! dictionary is never deleted, so every row stays readable. Training depends
//! only on what is stored when it runs, so the same writes pack to the same
//! bytes.
//!
//! The SQL functions `sma_pack` and `sma_unpack` are registered on the store's
//! connections; each has its own zstd context for unpacking, every thread that
//! packs one for packing, and all share the dictionaries. A write's caller packs
//! what it can before handing the write to the writer thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use sma_store::StoreError;
use zstd::zstd_safe::{CCtx, CDict, DCtx, DDict};

/// Events stored before a dictionary is trained, and samples it is trained on.
pub(crate) const TRAIN_AT: i64 = 2_000;
/// The dictionary's size: 64 KiB compresses these messages less than 4% better.
const DICTIONARY_BYTES: usize = 16 * 1024;
/// zstd's level: a million-event import's database is 8% smaller with 1
/// than with -1, at the same speed in four alternating runs; higher levels
/// gain under 3% more and cost more time per write.
const LEVEL: i32 = 1;
/// The first byte of a packed value (the format, should it ever change).
const MARK: u8 = b'z';
const HEADER: usize = 5;
/// Items from which [`Dictionaries::pack_all`] packs on several threads: a
/// thread costs tens of microseconds, a message's packing one or two.
const PARALLEL_FROM: usize = 1_000;
/// No message unpacks to more (a corrupt size must not allocate gigabytes).
const MAX_UNPACKED: u64 = 64 << 20;

thread_local! {
    /// A compression context and its output, per thread that packs.
    static PACKER: RefCell<(CCtx<'static>, Vec<u8>)> = RefCell::new((CCtx::create(), Vec::new()));
}

/// The dictionaries of one database, shared by its connections.
#[derive(Default)]
pub(crate) struct Dictionaries {
    known: RwLock<Known>,
}

#[derive(Default)]
struct Known {
    /// The dictionary new values are packed with.
    current: Option<(u32, Arc<CDict<'static>>)>,
    decoders: HashMap<u32, Arc<DDict<'static>>>,
    /// Training failed with this many events stored (too little or too uniform
    /// data): the next try waits for [`TRAIN_AT`] more.
    failed_at: Option<i64>,
}

impl Dictionaries {
    /// Registers `sma_pack(raw)` (text packed once a dictionary exists; a blob,
    /// packed already, as it is) and `sma_unpack(raw)` on `conn`.
    pub(crate) fn register(self: &Arc<Self>, conn: &Connection) -> rusqlite::Result<()> {
        let dictionaries = Arc::clone(self);
        conn.create_scalar_function("sma_pack", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(text) => {
                    let text = std::str::from_utf8(text).map_err(user)?;
                    match dictionaries.pack(text)? {
                        Some(packed) => Value::Blob(packed),
                        None => Value::Text(text.to_owned()),
                    }
                }
                ValueRef::Blob(packed) => Value::Blob(packed.to_vec()),
                other => return Err(user(format!("raw is {:?}", other.data_type()))),
            })
        })?;
        let dictionaries = Arc::clone(self);
        let dctx = RefCell::new(DCtx::create());
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        conn.create_scalar_function("sma_unpack", 1, flags, move |ctx| match ctx.get_raw(0) {
            ValueRef::Text(text) => String::from_utf8(text.to_vec()).map_err(unreadable),
            ValueRef::Blob(packed) => dictionaries.unpack(ctx, &mut dctx.borrow_mut(), packed),
            other => Err(unreadable(format!("it is {:?}", other.data_type()))),
        })
    }

    /// Loads the stored dictionaries (at open).
    pub(crate) fn load(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut stmt = conn.prepare("SELECT id, dictionary FROM raw_dictionaries ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        for row in rows {
            let (id, bytes) = row?;
            self.add(id, &bytes);
        }
        Ok(())
    }

    /// After a rollback: a dictionary trained in the rolled-back transaction
    /// (bulk mode's) is not stored, so nothing may be packed with it.
    pub(crate) fn reload(&self, conn: &Connection) -> rusqlite::Result<()> {
        self.known.write().expect("dictionaries lock").current = None;
        self.load(conn)
    }

    /// On the writer's connection, between writes: trains and stores a
    /// dictionary once [`TRAIN_AT`] events are stored and none exists (another
    /// process may have stored one: it is used instead). Its own transaction,
    /// or a savepoint in the one open (bulk mode's).
    pub(crate) fn train_if_due(&self, conn: &Connection) -> rusqlite::Result<()> {
        let failed_at = {
            let known = self.known.read().expect("dictionaries lock");
            if known.current.is_some() {
                return Ok(());
            }
            known.failed_at
        };
        let stored: i64 =
            conn.query_row("SELECT ifnull(max(rowid), 0) FROM events", [], |r| r.get(0))?;
        if stored < TRAIN_AT || failed_at.is_some_and(|at| stored < at + TRAIN_AT) {
            return Ok(());
        }
        let (begin, end, undo) = match conn.is_autocommit() {
            true => ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"),
            false => (
                "SAVEPOINT train",
                "RELEASE train",
                "ROLLBACK TO train; RELEASE train",
            ),
        };
        conn.execute_batch(begin)?;
        match self.train(conn, stored) {
            Ok(Some((id, bytes))) => {
                conn.execute_batch(end)?;
                self.add(id, &bytes);
                Ok(())
            }
            Ok(None) => conn.execute_batch(undo),
            Err(e) => {
                let _ = conn.execute_batch(undo);
                Err(e)
            }
        }
    }

    /// The dictionary to use: another process's stored one, or one trained on
    /// the latest [`TRAIN_AT`] events and stored (None when training failed).
    fn train(&self, conn: &Connection, stored: i64) -> rusqlite::Result<Option<(u32, Vec<u8>)>> {
        let existing: Option<(u32, Vec<u8>)> = conn
            .query_row(
                "SELECT id, dictionary FROM raw_dictionaries ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if existing.is_some() {
            return Ok(existing);
        }
        let samples: Vec<String> = conn
            .prepare(
                "SELECT raw FROM events WHERE rowid > ?1 AND typeof(raw) = 'text' ORDER BY rowid",
            )?
            .query_map([stored - TRAIN_AT], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let bytes = match zstd::dict::from_samples(&samples, DICTIONARY_BYTES) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::info!(error = %e, stored, "no dictionary for raw messages yet");
                self.known.write().expect("dictionaries lock").failed_at = Some(stored);
                return Ok(None);
            }
        };
        let id: u32 = conn.query_row(
            "INSERT INTO raw_dictionaries (dictionary) VALUES (?1) RETURNING id",
            params![bytes],
            |r| r.get(0),
        )?;
        tracing::info!(
            id,
            samples = samples.len(),
            "trained a dictionary for raw messages"
        );
        Ok(Some((id, bytes)))
    }

    fn add(&self, id: u32, bytes: &[u8]) {
        let mut known = self.known.write().expect("dictionaries lock");
        known.decoders.insert(id, Arc::new(DDict::create(bytes)));
        if known
            .current
            .as_ref()
            .is_none_or(|(current, _)| *current < id)
        {
            known.current = Some((id, Arc::new(CDict::create(bytes, LEVEL))));
        }
    }

    /// `text` packed with the current dictionary (None before there is one).
    /// Any thread may pack: a write's caller does, so that the writer thread
    /// does not have to.
    pub(crate) fn pack(&self, text: &str) -> rusqlite::Result<Option<Vec<u8>>> {
        let Some((id, cdict)) = self.current() else {
            return Ok(None);
        };
        PACKER.with_borrow_mut(|(cctx, frame)| {
            frame.clear();
            frame.reserve(zstd::zstd_safe::compress_bound(text.len()));
            cctx.compress_using_cdict(&mut *frame, text.as_bytes(), &cdict)
                .map_err(|code| {
                    let error = zstd::zstd_safe::get_error_name(code);
                    user(format!("cannot pack a raw message: {error}"))
                })?;
            let mut packed = Vec::with_capacity(HEADER + frame.len());
            packed.push(MARK);
            packed.extend_from_slice(&id.to_le_bytes());
            packed.extend_from_slice(frame);
            Ok(Some(packed))
        })
    }

    /// `row(item, packed)` for each item, its text packed: a large batch
    /// (an import's) on as many threads as there are cores, as the writer
    /// waits for it meanwhile.
    pub(crate) fn pack_all<I: Sync, R: Send>(
        &self,
        items: &[I],
        text: impl Fn(&I) -> &str + Sync,
        row: impl Fn(&I, Option<Vec<u8>>) -> R + Sync,
    ) -> Result<Vec<R>, StoreError> {
        let rows = |items: &[I]| -> Result<Vec<R>, StoreError> {
            items
                .iter()
                .map(|i| Ok(row(i, self.pack(text(i)).map_err(crate::sql)?)))
                .collect()
        };
        if items.len() < PARALLEL_FROM {
            return rows(items);
        }
        // Asking costs a few reads of cgroup files.
        static THREADS: OnceLock<usize> = OnceLock::new();
        let threads =
            *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let chunk = items.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let mut parts = items.chunks(chunk);
            let first = parts.next().unwrap_or_default();
            let others: Vec<_> = parts.map(|part| scope.spawn(move || rows(part))).collect();
            let mut all = rows(first)?;
            for other in others {
                all.extend(other.join().expect("packing does not panic")?);
            }
            Ok(all)
        })
    }

    fn current(&self) -> Option<(u32, Arc<CDict<'static>>)> {
        let known = self.known.read().expect("dictionaries lock");
        known
            .current
            .as_ref()
            .map(|(id, cdict)| (*id, Arc::clone(cdict)))
    }

    fn decoder(&self, id: u32) -> Option<Arc<DDict<'static>>> {
        let known = self.known.read().expect("dictionaries lock");
        known.decoders.get(&id).cloned()
    }

    fn unpack(
        &self,
        ctx: &Context<'_>,
        dctx: &mut DCtx<'static>,
        packed: &[u8],
    ) -> rusqlite::Result<String> {
        let (id, frame) = match packed {
            [MARK, a, b, c, d, frame @ ..] => (u32::from_le_bytes([*a, *b, *c, *d]), frame),
            _ => return Err(unreadable("a blob, but not a packed one")),
        };
        let ddict = match self.decoder(id) {
            Some(ddict) => ddict,
            None => {
                // Trained by another process after this one opened the store.
                // SAFETY: the connection is only read from, and not kept.
                let conn = unsafe { ctx.get_connection()? };
                self.load(&conn)?;
                self.decoder(id).ok_or_else(|| {
                    unreadable(format!("packed with dictionary {id}, which is not stored"))
                })?
            }
        };
        let size = zstd::zstd_safe::get_frame_content_size(frame)
            .ok()
            .flatten()
            .filter(|size| *size <= MAX_UNPACKED)
            .ok_or_else(|| unreadable("packed without a plausible size"))?;
        let mut text = Vec::with_capacity(size as usize);
        dctx.decompress_using_ddict(&mut text, frame, &ddict)
            .map_err(|code| unreadable(zstd::zstd_safe::get_error_name(code)))?;
        String::from_utf8(text).map_err(unreadable)
    }
}

fn unreadable(e: impl std::fmt::Display) -> rusqlite::Error {
    user(format!("cannot read a stored raw message: {e}"))
}

fn user(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(e.into())
}

#[cfg(test)]
pub(crate) mod tests;
