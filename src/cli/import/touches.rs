//! Touches for an import, derived in the same pass as the writes: each device's
//! page views are detected as its events are stored and kept in memory, and its
//! touches derived from them once per device, without reading events back.
//!
//! A device's touches are a function of its whole history, so the views held
//! are only enough when they are all the device's stored events hold; the store
//! checks that (a count, in the transaction that writes the touches) and the
//! devices that had events before the import, or were refreshed early, are
//! re-derived from the store instead ([`App::refresh_touches`]). Either way the
//! store ends as an uninterrupted import would leave it.
//!
//! Memory stays bounded whatever the archive's size: past [`PENDING_CAP`]
//! devices, or four times as many views, the half seen longest ago is refreshed
//! mid-way (archives run in time order, so those visits are most likely over; a
//! device seen again later is refreshed again, which is idempotent), and new
//! touches are counted, never collected.

use std::collections::{BTreeSet, VecDeque};

use anyhow::Context;
use foldhash::HashMap;
use sma_app::{App, Stored};
use sma_store::{DeviceTouches, Replaced, Store, StoreError};

use super::progress::{Progress, Unit};
use super::views::{self, Sources, View};

/// Devices held for refresh at most by default: a device refreshed early and
/// seen again is re-derived from the store (its events read back and parsed),
/// which is slow, so a cap that an archive often reaches costs far more time
/// than the memory it saves. At this cap a million-event archive (about
/// 190,000 devices) is refreshed once, at its end; a lower cap saves some
/// memory and loses much more speed (measurements in docs/benchmarks.md).
pub const PENDING_CAP: usize = 250_000;
/// Views held per device held, on average, before refreshing early.
const VIEWS_PER_DEVICE: usize = 4;
/// Devices per store call.
const SLICE: usize = 2048;
/// Slices being written while the next is derived: each is packed on a worker
/// and then written. Enough that derivation goes on while the writer commits
/// or, after the last events, builds the indexes put off; the slices waiting
/// add little to peak memory (measured in docs/benchmarks.md).
const IN_FLIGHT: usize = 16;

/// What is known of a device since it was last refreshed.
#[derive(Default)]
struct Pending {
    /// The batch it was last seen in.
    seen: u64,
    /// Its events stored by this import.
    events: u64,
    /// Whether any page view of it was read (new or already stored).
    viewed: bool,
    /// Its page views stored by this import.
    views: Vec<View>,
}

pub struct Refresher<'a, S> {
    runtime: &'a tokio::runtime::Runtime,
    app: &'a App<S>,
    pending: HashMap<String, Pending>,
    sources: Sources,
    views: usize,
    cap: usize,
    batches: u64,
    /// Device refreshes done (a device refreshed mid-way and again counts twice).
    pub refreshed: u64,
    /// Devices whose touches had to be re-derived from the store.
    pub from_store: u64,
    /// Touches that were not stored before.
    pub new_touches: u64,
}

impl<'a, S: Store> Refresher<'a, S> {
    /// Holds at most `cap` devices between refreshes.
    pub fn new(runtime: &'a tokio::runtime::Runtime, app: &'a App<S>, cap: usize) -> Self {
        Refresher {
            runtime,
            app,
            pending: HashMap::default(),
            sources: Sources::default(),
            views: 0,
            cap: cap.max(2),
            batches: 0,
            refreshed: 0,
            from_store: 0,
            new_touches: 0,
        }
    }

    /// Notes what one batch stored (source detection for its new page views);
    /// refreshes early when too much waits.
    pub fn add(&mut self, stored: &Stored) -> anyhow::Result<()> {
        self.batches += 1;
        for (message, &new) in stored.messages.iter().zip(&stored.inserted) {
            let Some(device) = &message.anonymous_id else {
                continue;
            };
            let pending = match self.pending.get_mut(device) {
                Some(pending) => pending,
                None => self.pending.entry(device.clone()).or_default(),
            };
            pending.seen = self.batches;
            pending.viewed |= message.message_type.is_view();
            if new {
                pending.events += 1;
                if let Some(view) = self.app.rules.page_view(message) {
                    pending.views.push(self.sources.compact(view));
                    self.views += 1;
                }
            }
        }
        if self.pending.len() >= self.cap || self.views >= self.cap * VIEWS_PER_DEVICE {
            self.refresh_oldest_half()?;
        }
        Ok(())
    }

    /// Refreshes every waiting device, with progress.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        let devices: Vec<(String, Pending)> = std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|(_, p)| p.viewed)
            .collect();
        tracing::info!(devices = devices.len(), "refreshing touches");
        let total = devices.len() as u64;
        let mut progress = Progress::new(
            "touches",
            "new touches",
            Some(total),
            Unit::Items("devices"),
        );
        self.refresh(devices, Some(&mut progress))?;
        progress.finish();
        Ok(())
    }

    fn refresh_oldest_half(&mut self) -> anyhow::Result<()> {
        let mut by_age: Vec<(String, Pending)> = self.pending.drain().collect();
        by_age.sort_unstable_by_key(|(_, p)| p.seen);
        let recent = by_age.split_off(by_age.len() / 2);
        self.views = recent.iter().map(|(_, p)| p.views.len()).sum();
        self.pending.extend(recent);
        by_age.retain(|(_, p)| p.viewed);
        tracing::info!(
            devices = by_age.len(),
            "refreshing touches mid-way to bound memory"
        );
        self.refresh(by_age, None)
    }

    /// Writes the touches derived from the views held; devices the store holds
    /// more events of are re-derived from the store, together at the end (a
    /// read waits for the store to commit what it holds). The next slice is
    /// derived while the last ones are written, and devices go in key order, so
    /// that consecutive devices' touches (and the events counted) share pages.
    fn refresh(
        &mut self,
        mut devices: Vec<(String, Pending)>,
        mut progress: Option<&mut Progress>,
    ) -> anyhow::Result<()> {
        devices.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let before = self.new_touches;
        let mut done = 0u64;
        let mut stale = BTreeSet::new();
        let mut writing: VecDeque<Writing> = VecDeque::with_capacity(IN_FLIGHT + 1);
        let mut devices = devices.into_iter().peekable();
        while devices.peek().is_some() {
            let sets: Vec<DeviceTouches> = devices
                .by_ref()
                .take(SLICE)
                .map(|(device, pending)| DeviceTouches {
                    touches: self
                        .app
                        .rules
                        .touch_records(&views::expand(&device, pending.views)),
                    device,
                    events: pending.events,
                })
                .collect();
            let count = sets.len() as u64;
            let app = self.app.clone();
            let next = self
                .runtime
                .spawn(async move { app.store.replace_touches_where_complete(&sets).await });
            writing.push_back(Writing { next, count });
            if writing.len() > IN_FLIGHT
                && let Some(oldest) = writing.pop_front()
            {
                done += self.settle(oldest, &mut stale)?;
            }
            if let Some(progress) = progress.as_deref_mut() {
                progress.update(done, self.new_touches - before);
            }
        }
        for last in writing {
            done += self.settle(last, &mut stale)?;
        }
        self.from_store += stale.len() as u64;
        let stale: Vec<String> = stale.into_iter().collect();
        for devices in stale.chunks(SLICE) {
            let devices: BTreeSet<String> = devices.iter().cloned().collect();
            let new = self
                .runtime
                .block_on(self.app.refresh_touches(&devices))
                .context("cannot refresh touches")?;
            self.new_touches += new.len() as u64;
        }
        if let Some(progress) = progress {
            progress.update(done, self.new_touches - before);
        }
        Ok(())
    }

    /// Waits for a slice's write; adds to `stale` the devices it left (their
    /// store holds more than this import saw). Answers the devices of the slice.
    fn settle(&mut self, writing: Writing, stale: &mut BTreeSet<String>) -> anyhow::Result<u64> {
        let replaced = self
            .runtime
            .block_on(writing.next)
            .context("the touches write panicked")?
            .context("cannot store touches")?;
        self.new_touches += replaced.new_touches;
        stale.extend(replaced.incomplete);
        self.refreshed += writing.count;
        Ok(writing.count)
    }
}

/// A slice of devices whose touches are being written.
struct Writing {
    next: tokio::task::JoinHandle<Result<Replaced, StoreError>>,
    count: u64,
}
