//! Erasing a user (Segment's `delete`, `sma delete --user`): the ledger
//! entries of their conversions and journeys are removed first, each with
//! what it counted taken off the totals, so reports drop by exactly that, as
//! if the user had never been seen; then the store removes everything else.

use std::collections::HashSet;

use sma_store::{
    ConversionLedger, CreditDelta, Erased, Erasure, LedgerChange, LedgerEntry, LedgerKey,
    MarkerKind, Owner, Store, StoreError,
};

use super::credits::{Counted, credit_deltas, funnel_deltas, path_deltas};
use super::time;
use crate::App;

/// How often the ledger entries are removed again after losing to a
/// concurrent writer.
const ATTEMPTS: usize = 8;

impl<S: Store> App<S> {
    /// Erases the user, their devices and everything derived from them;
    /// answers how much went. Bodies answered before it are applied first,
    /// so a deletion that follows a user's last events erases those too.
    pub async fn erase_user(&self, user: &str) -> Result<Erased, StoreError> {
        self.read_after_writes().await?;
        let devices = self.store.devices_of(user).await?;
        let owners: Vec<Owner> = devices
            .iter()
            .cloned()
            .map(Owner::Device)
            .chain([Owner::User(user.to_owned())])
            .collect();
        let mut conversions = self.conversions_of(&owners, |_| true).await?;
        let accounts = self.store.accounts_of(user).await?;
        let accounts_owners: Vec<Owner> = accounts.iter().cloned().map(Owner::Account).collect();
        if !accounts.is_empty() {
            // The deals the user sent are theirs to erase; the accounts'
            // other conversions stay.
            let sent: HashSet<String> = self
                .store
                .user_events(user, &devices)
                .await?
                .into_iter()
                .map(|m| m.message_id)
                .collect();
            let theirs = |id: &str| sent.contains(id);
            conversions.extend(self.conversions_of(&accounts_owners, theirs).await?);
        }
        let removed = self.remove_ledger(&owners, &conversions).await?;
        let erasure = Erasure {
            user: user.to_owned(),
            devices,
            conversions,
            accounts,
        };
        let mut erased = self.store.erase(&erasure).await?;
        erased.ledger += removed;
        // The accounts' conversions were credited over the user's touches too.
        self.settle_journeys(&accounts_owners).await?;
        tracing::info!(
            devices = erasure.devices.len(),
            events = erased.events,
            claims = erased.claims,
            memberships = erased.memberships,
            touches = erased.touches,
            markers = erased.markers,
            ledger = erased.ledger,
            "user erased"
        );
        Ok(erased)
    }

    /// The messageIds of the conversions `carriers` carry that `pick` keeps.
    async fn conversions_of(
        &self,
        carriers: &[Owner],
        pick: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .store
            .markers_of(carriers, time(i64::MIN), time(i64::MAX))
            .await?
            .into_iter()
            .filter(|m| m.kind == MarkerKind::Conversion && pick(&m.message_id))
            .map(|m| m.message_id)
            .collect())
    }

    /// Removes the entries of the conversions and journeys, each over the
    /// version read with what it counted taken off the totals; answers how
    /// many there were.
    async fn remove_ledger(
        &self,
        owners: &[Owner],
        conversions: &[String],
    ) -> Result<u64, StoreError> {
        for _ in 0..ATTEMPTS {
            let mut changes = Vec::new();
            let stored = self.store.conversion_ledgers(conversions).await?;
            for stored in stored.into_iter().flatten() {
                let old = &stored.value;
                changes.push(LedgerChange {
                    credits: credits_off(old),
                    paths: path_deltas(Counted::conversion(old), None),
                    funnel: Vec::new(),
                    expected: Some(stored.version),
                    entry: LedgerEntry::Removed(LedgerKey::Conversion(old.conversion.clone())),
                });
            }
            let journeys = self.store.journey_ledgers(owners).await?;
            for (owner, stored) in owners.iter().zip(journeys) {
                let Some(stored) = stored else { continue };
                let old = &stored.value;
                changes.push(LedgerChange {
                    credits: Vec::new(),
                    paths: path_deltas(old.open_path.as_ref().map(Counted::open), None),
                    funnel: funnel_deltas(old.funnel.as_ref(), None),
                    expected: Some(stored.version),
                    entry: LedgerEntry::Removed(LedgerKey::Journey(owner.clone())),
                });
            }
            if changes.is_empty() {
                return Ok(0);
            }
            let applied = self.store.commit_ledger(&changes).await?;
            if applied.iter().all(|&a| a) {
                return Ok(changes.len() as u64);
            }
        }
        Err(StoreError::Unavailable(
            "the ledger kept changing under the erasure".into(),
        ))
    }
}

/// What a conversion's credits count in the totals, negated.
fn credits_off(old: &ConversionLedger) -> Vec<CreditDelta> {
    let none = ConversionLedger {
        rows: Vec::new(),
        ..old.clone()
    };
    credit_deltas(Some(old), &none)
}
