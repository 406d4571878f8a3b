//! ATTRIBUTION: conversions and milestones (skeleton; filled in next).

use chrono::{DateTime, Utc};

use super::DynamoStore;
use sma_store::{Marker, MarkerStore, Owner, StoreError};

impl MarkerStore for DynamoStore {
    async fn put_markers(&self, _markers: &[Marker]) -> Result<(), StoreError> {
        Err(StoreError::Backend("not implemented yet".into()))
    }
    async fn markers_of(
        &self,
        _carriers: &[Owner],
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> Result<Vec<Marker>, StoreError> {
        Err(StoreError::Backend("not implemented yet".into()))
    }
}
