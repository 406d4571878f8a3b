//! ATTRIBUTION: the ledger's entries, each one versioned item holding the
//! entry as JSON (`value`) with its `version`:
//! - conversion: `conv#<messageId>` / `ledger`;
//! - journey: `dev#<anonymousId>` or `usr#<userId>` / `journey`.
//!
//! A change is one TransactWriteItems: the entry put (or, removed, deleted)
//! on condition that it is still at the version read, and one `ADD` update
//! per totals item its deltas move ([`totals`](super::totals)). A change
//! applied once cannot be applied again (its version is gone), so a retry
//! never counts a delta twice.

use serde::de::DeserializeOwned;
use sma_store::{
    ConversionLedger, CreditTotal, FunnelTotal, JourneyLedger, LedgerChange, LedgerEntry,
    LedgerKey, LedgerStore, Owner, PathTotals, ScreenedTotal, StoreError, Versioned,
};

use chrono::NaiveDate;

use super::DynamoStore;
use super::keys::{self, Item, get_n, get_s};
use super::request::{TransactError, key_of};
use super::states::TRANSACTION_LIMIT;
use super::totals;
use super::write::{self, Condition, VERSION};

const CONVERSION_SK: &str = "ledger";
pub(super) const JOURNEY_SK: &str = "journey";

pub(super) fn conversion_key(message_id: &str) -> Item {
    keys::key(conversion_pk(message_id), CONVERSION_SK)
}

fn conversion_pk(message_id: &str) -> String {
    format!("conv#{message_id}")
}

fn journey_key(owner: &Owner) -> Item {
    keys::key(keys::owner_pk(owner), JOURNEY_SK)
}

fn entry_key(key: &LedgerKey) -> Item {
    let sk = match key {
        LedgerKey::Conversion(_) => CONVERSION_SK,
        LedgerKey::Journey(_) => JOURNEY_SK,
    };
    keys::key(entry_pk(key), sk)
}

/// The entry's partition key, which also picks the shard of its totals.
fn entry_pk(key: &LedgerKey) -> String {
    match key {
        LedgerKey::Conversion(id) => conversion_pk(id),
        LedgerKey::Journey(owner) => keys::owner_pk(owner),
    }
}

/// The item of an entry at `version`; `None` for a removed entry.
fn entry_item(entry: &LedgerEntry, version: u64) -> Result<Option<Item>, StoreError> {
    let value = match entry {
        LedgerEntry::Conversion(c) => serde_json::to_string(c),
        LedgerEntry::Journey(_, j) => serde_json::to_string(j),
        LedgerEntry::Removed(_) => return Ok(None),
    };
    let value = value.map_err(|e| StoreError::Backend(format!("ledger entry: {e}")))?;
    let mut item = entry_key(&entry.key());
    item.insert(VERSION.into(), keys::n(version));
    item.insert("value".into(), keys::s(value));
    Ok(Some(item))
}

fn entry_from_item<T: DeserializeOwned>(item: &Item) -> Result<Versioned<T>, StoreError> {
    let text = get_s(item, "value")?;
    Ok(Versioned {
        version: get_n(item, VERSION)?,
        value: serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("ledger entry {text:?}: {e}")))?,
    })
}

/// Rebuilds a conversion's credits from its item (the `NewImage` or
/// `OldImage` of an ATTRIBUTION stream record); `None` for any other item.
pub fn conversion_ledger_from_item(item: &Item) -> Result<Option<ConversionLedger>, StoreError> {
    let is_conversion = get_s(item, "pk").is_ok_and(|pk| pk.starts_with("conv#"))
        && get_s(item, "sk").is_ok_and(|sk| sk == CONVERSION_SK);
    if !is_conversion {
        return Ok(None);
    }
    Ok(Some(entry_from_item::<ConversionLedger>(item)?.value))
}

impl LedgerStore for DynamoStore {
    async fn conversion_ledgers(
        &self,
        conversions: &[String],
    ) -> Result<Vec<Option<Versioned<ConversionLedger>>>, StoreError> {
        self.entries(conversions.iter().map(|c| conversion_key(c)).collect())
            .await
    }

    async fn journey_ledgers(
        &self,
        owners: &[Owner],
    ) -> Result<Vec<Option<Versioned<JourneyLedger>>>, StoreError> {
        self.entries(owners.iter().map(journey_key).collect()).await
    }

    /// Changes are committed one after the other: those of one call usually
    /// move the same totals items, which concurrent transactions would
    /// contend for.
    async fn commit_ledger(&self, changes: &[LedgerChange]) -> Result<Vec<bool>, StoreError> {
        let mut applied = Vec::with_capacity(changes.len());
        for change in changes {
            applied.push(self.commit_entry(change).await?);
        }
        Ok(applied)
    }

    async fn credit_totals(
        &self,
        model: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreditTotal>, StoreError> {
        self.credit_rows(model, from, to).await
    }

    async fn path_totals(&self, from: NaiveDate, to: NaiveDate) -> Result<PathTotals, StoreError> {
        self.path_rows(from, to).await
    }

    async fn funnel_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FunnelTotal>, StoreError> {
        self.funnel_rows(from, to).await
    }

    async fn add_screened(&self, counts: &[ScreenedTotal]) -> Result<(), StoreError> {
        self.add_screened_rows(counts).await
    }

    async fn screened_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ScreenedTotal>, StoreError> {
        self.screened_rows(from, to).await
    }
}

impl DynamoStore {
    /// The entries at `keys`, in order: one consistent BatchGetItem (per 100).
    async fn entries<T: DeserializeOwned>(
        &self,
        keys: Vec<Item>,
    ) -> Result<Vec<Option<Versioned<T>>>, StoreError> {
        let found = self
            .batch_get(&self.tables().attribution, keys.iter().cloned(), true)
            .await?;
        keys.iter()
            .map(|key| found.get(&key_of(key)?).map(entry_from_item).transpose())
            .collect()
    }

    /// Applies one change if its entry is still at the version it names.
    ///
    /// A change whose deltas move more totals items than one transaction
    /// holds fails as a whole, writing nothing: split, its parts could not be
    /// retried without counting some twice.
    async fn commit_entry(&self, change: &LedgerChange) -> Result<bool, StoreError> {
        let table = &self.tables().attribution;
        let condition = Condition::version(change.expected);
        let entry = match entry_item(&change.entry, change.expected.unwrap_or(0) + 1)? {
            Some(item) => write::put(table, item, Some(&condition))?,
            None => write::delete(table, entry_key(&change.entry.key()), Some(&condition))?,
        };
        let mut items = vec![entry];
        items.extend(totals::writes(
            table,
            change,
            &entry_pk(&change.entry.key()),
        )?);
        if items.len() > TRANSACTION_LIMIT {
            return Err(StoreError::Backend(format!(
                "ledger change of {:?} moves {} totals items; a transaction holds {}",
                change.entry.key(),
                items.len() - 1,
                TRANSACTION_LIMIT - 1
            )));
        }
        match self.transact(items).await {
            Ok(()) => Ok(true),
            // Only the entry has a condition: another writer moved it.
            Err(TransactError::Condition) => Ok(false),
            Err(TransactError::Store(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sma_store::OpenPath;

    #[test]
    fn entries_read_back_with_their_version() {
        let journey = JourneyLedger {
            open_path: Some(OpenPath {
                day: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
                channels: vec!["Direct".into()],
            }),
            funnel: None,
        };
        let owner = Owner::User("u1".into());
        let entry = LedgerEntry::Journey(owner.clone(), journey.clone());
        let item = entry_item(&entry, 3).unwrap().unwrap();
        assert_eq!(
            key_of(&item).unwrap(),
            key_of(&journey_key(&owner)).unwrap()
        );
        let back: Versioned<JourneyLedger> = entry_from_item(&item).unwrap();
        assert_eq!((back.version, back.value), (3, journey));
    }
}
