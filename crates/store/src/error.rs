/// A storage failure. `Unavailable` is worth retrying (busy, locked, throttled);
/// the others are not.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable (retry later): {0}")]
    Unavailable(String),
    #[error("store failure: {0}")]
    Backend(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}
