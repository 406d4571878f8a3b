//! What the subcommands share: settings, the async runtime, the embedded store.

use anyhow::Context;
use sma_app::{App, Settings};
use sma_store::SqliteStore;

pub fn settings() -> anyhow::Result<Settings> {
    Ok(Settings::from_env()?)
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The application on the embedded store at `SMA_DB`.
pub fn embedded_app(settings: Settings) -> anyhow::Result<App<SqliteStore>> {
    let store = SqliteStore::open(&settings.sma_db)
        .with_context(|| format!("cannot open the store SMA_DB={}", settings.sma_db.display()))?;
    Ok(App::new(settings, store)?)
}
