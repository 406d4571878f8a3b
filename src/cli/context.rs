//! What the subcommands share: settings, the async runtime, the store.

use anyhow::Context;
use sma_app::{App, Settings, StoreKind, StoreSettings};
use sma_store::Store;
use sma_store_sqlite::SqliteStore;

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
    let store = embedded_store(&settings.store)?;
    Ok(App::new(settings, store)?)
}

/// The application on the embedded store at `SMA_DB`, answering intakes from
/// the intake log beside it (what the last run left in it applied first).
pub async fn serving_app(settings: Settings) -> anyhow::Result<App<SqliteStore>> {
    let db = settings.store.sma_db.clone();
    embedded_app(settings)?
        .with_intake_log(&db)
        .await
        .context("cannot start the intake log")
}

fn embedded_store(store: &StoreSettings) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(&store.sma_db)
        .with_context(|| format!("cannot open the store SMA_DB={}", store.sma_db.display()))
}

/// SQLite page cache of the writer in bulk commands: enough for the indexes a
/// million-event import writes all over (about 130 MiB) and the touches, so
/// each transaction finds their pages cached; a smaller cache reads them back,
/// a larger one gains nothing (measurements in docs/benchmarks.md).
const BULK_CACHE_MIB: u32 = 512;

/// A command that works on any store: [`on_configured_store`] runs it on the
/// one `STORE` names.
pub trait OnStore {
    type Output;

    /// When the command is a bulk load: at most how long the embedded store
    /// may hold its writes before committing them.
    fn bulk(&self) -> Option<std::time::Duration> {
        None
    }

    fn run<S: Store>(
        self,
        runtime: &tokio::runtime::Runtime,
        app: &App<S>,
    ) -> anyhow::Result<Self::Output>;
}

/// Runs `command` on the store the settings configure.
pub fn on_configured_store<C: OnStore>(
    settings: Settings,
    runtime: &tokio::runtime::Runtime,
    command: C,
) -> anyhow::Result<C::Output> {
    match settings.store.kind {
        StoreKind::Sqlite => {
            tracing::info!(db = %settings.store.sma_db.display(), "opening the store");
            // The commands run here write in bulk.
            let store = runtime
                .block_on(embedded_store(&settings.store)?.with_write_cache_mib(BULK_CACHE_MIB))?;
            let Some(commit_every) = command.bulk() else {
                return command.run(runtime, &App::new(settings, store)?);
            };
            runtime
                .block_on(store.begin_bulk_load(commit_every))
                .context("cannot begin the bulk load")?;
            let done = App::new(settings, store.clone())
                .map_err(anyhow::Error::from)
                .and_then(|app| command.run(runtime, &app));
            // Whatever became of the load: what it put off is done now rather
            // than at the next open.
            let ended = runtime
                .block_on(store.end_bulk_load())
                .context("cannot end the bulk load");
            let done = done?;
            ended?;
            Ok(done)
        }
        StoreKind::Dynamodb => dynamodb(settings, runtime, command),
    }
}

fn dynamodb<C: OnStore>(
    settings: Settings,
    runtime: &tokio::runtime::Runtime,
    command: C,
) -> anyhow::Result<C::Output> {
    let tables = settings.store.dynamodb_tables();
    tracing::info!(
        region = %settings.store.region,
        endpoint = ?settings.store.dynamodb_endpoint,
        events = %tables.0,
        "using the DynamoDB tables"
    );
    let store = runtime
        .block_on(sma_store_dynamodb::DynamoStore::from_env(
            settings.store.region.clone(),
            settings.store.dynamodb_endpoint.clone(),
            tables,
        ))
        .with_events_ttl_days(settings.store.events_ttl_days);
    command.run(runtime, &App::new(settings, store)?)
}
