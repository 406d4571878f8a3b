//! Touch refresh for an import: every device that got page views has its touches
//! re-derived from its whole history, once per device at the end of the import
//! rather than once per batch.
//!
//! Memory stays bounded whatever the archive's size: the devices waiting for a
//! refresh are capped ([`PENDING_CAP`]); past the cap the half seen longest ago
//! is refreshed mid-way (archives run in time order, so those visits are most
//! likely over; a device seen again later is simply refreshed again, which is
//! idempotent), and new touches are counted, never collected.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;
use sma_app::App;
use sma_store::Store;

use super::progress::{Progress, Unit};

/// Devices held for refresh at most by default (~150 bytes each).
pub const PENDING_CAP: usize = 100_000;
/// Devices per `refresh_touches` call.
const SLICE: usize = 512;

pub struct Refresher<'a, S> {
    runtime: &'a tokio::runtime::Runtime,
    app: &'a App<S>,
    /// Each waiting device and the batch it was last seen in.
    pending: HashMap<String, u64>,
    cap: usize,
    batches: u64,
    /// Device refreshes done (a device refreshed mid-way and again counts twice).
    pub refreshed: u64,
    /// Touches that were not stored before.
    pub new_touches: u64,
}

impl<'a, S: Store> Refresher<'a, S> {
    /// Holds at most `cap` devices between refreshes.
    pub fn new(runtime: &'a tokio::runtime::Runtime, app: &'a App<S>, cap: usize) -> Self {
        Refresher {
            runtime,
            app,
            pending: HashMap::new(),
            cap: cap.max(2),
            batches: 0,
            refreshed: 0,
            new_touches: 0,
        }
    }

    /// Notes devices that got new events (one batch); refreshes early when too
    /// many wait.
    pub fn add(&mut self, devices: BTreeSet<String>) -> anyhow::Result<()> {
        self.batches += 1;
        for device in devices {
            self.pending.insert(device, self.batches);
        }
        if self.pending.len() >= self.cap {
            let mut by_age: Vec<(u64, String)> = self
                .pending
                .drain()
                .map(|(device, seen)| (seen, device))
                .collect();
            by_age.sort_unstable();
            let recent = by_age.split_off(by_age.len() / 2);
            self.pending
                .extend(recent.into_iter().map(|(seen, device)| (device, seen)));
            tracing::info!(
                devices = by_age.len(),
                "refreshing touches mid-way to bound memory"
            );
            self.refresh(by_age.into_iter().map(|(_, device)| device).collect(), None)?;
        }
        Ok(())
    }

    /// Refreshes every waiting device, with progress.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        tracing::info!(devices = self.pending.len(), "refreshing touches");
        let total = self.pending.len() as u64;
        let mut progress = Progress::new(
            "touches",
            "new touches",
            Some(total),
            Unit::Items("devices"),
        );
        let devices = std::mem::take(&mut self.pending).into_keys().collect();
        self.refresh(devices, Some(&mut progress))?;
        progress.finish();
        Ok(())
    }

    fn refresh(
        &mut self,
        devices: BTreeSet<String>,
        mut progress: Option<&mut Progress>,
    ) -> anyhow::Result<()> {
        let (mut done, before) = (0u64, self.new_touches);
        let mut devices = devices.into_iter().peekable();
        while devices.peek().is_some() {
            let slice: BTreeSet<String> = devices.by_ref().take(SLICE).collect();
            let new = self
                .runtime
                .block_on(self.app.refresh_touches(&slice))
                .context("cannot refresh touches")?;
            done += slice.len() as u64;
            self.refreshed += slice.len() as u64;
            self.new_touches += new.len() as u64;
            if let Some(progress) = progress.as_deref_mut() {
                progress.update(done, self.new_touches - before);
            }
        }
        Ok(())
    }
}
