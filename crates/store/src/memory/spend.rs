//! The memory store's spend: rows by key, which sorts as the port answers.

use chrono::NaiveDate;

use super::MemoryStore;
use crate::{SpendRow, SpendStore, StoreError};

impl SpendStore for MemoryStore {
    async fn put_spend(&self, rows: &[SpendRow]) -> Result<Vec<bool>, StoreError> {
        let mut data = self.data()?;
        Ok(rows
            .iter()
            .map(|row| data.spend.insert(row.key.clone(), row.clone()).is_some())
            .collect())
    }

    async fn spend_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SpendRow>, StoreError> {
        let data = self.data()?;
        Ok(data
            .spend
            .values()
            .filter(|row| (from..to).contains(&row.key.day))
            .cloned()
            .collect())
    }
}
