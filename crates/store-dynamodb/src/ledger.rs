//! ATTRIBUTION: the ledger (skeleton; filled in next).

use chrono::NaiveDate;

use super::DynamoStore;
use sma_store::{
    ConversionLedger, CreditTotal, JourneyLedger, LedgerChange, LedgerStore, Owner, PathTotal,
    StoreError, Versioned,
};

fn pending() -> StoreError {
    StoreError::Backend("the DynamoDB ledger is not implemented yet".into())
}

impl LedgerStore for DynamoStore {
    async fn conversion_ledgers(
        &self,
        _conversions: &[String],
    ) -> Result<Vec<Option<Versioned<ConversionLedger>>>, StoreError> {
        Err(pending())
    }
    async fn journey_ledgers(
        &self,
        _owners: &[Owner],
    ) -> Result<Vec<Option<Versioned<JourneyLedger>>>, StoreError> {
        Err(pending())
    }
    async fn commit_ledger(&self, _changes: &[LedgerChange]) -> Result<Vec<bool>, StoreError> {
        Err(pending())
    }
    async fn credit_totals(
        &self,
        _model: &str,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> Result<Vec<CreditTotal>, StoreError> {
        Err(pending())
    }
    async fn path_totals(
        &self,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> Result<Vec<PathTotal>, StoreError> {
        Err(pending())
    }
}
