//! `sma serve`: every endpoint on one local server, the pipeline inline, the
//! embedded store on disk.

use anyhow::Context;
use sma_app::{App, Settings};
use sma_store::SqliteStore;

pub fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(settings))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let store = SqliteStore::open(&settings.sma_db)
        .with_context(|| format!("cannot open the store SMA_DB={}", settings.sma_db.display()))?;
    warn_if_open(&settings);
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address} (HOST, PORT)"))?;
    let local = listener.local_addr()?;
    tracing::info!(db = %settings.sma_db.display(), "store opened");
    // The one line a person (and the end-to-end tests) read to find the server.
    println!("sma listening on http://{local}");
    let app = App::new(settings, store);
    axum::serve(listener, sma_app::router(app))
        .with_graceful_shutdown(shutdown())
        .await
        .context("server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// Running without secrets is fine on a laptop and dangerous anywhere else.
fn warn_if_open(settings: &Settings) {
    if settings.api_token.is_none() {
        tracing::warn!("API_TOKEN is not set: /api and /segment are open to anyone who can reach this port");
    }
    if settings.segment_shared_secret.is_none() {
        tracing::warn!("SEGMENT_SHARED_SECRET is not set: /events accepts unsigned bodies");
    }
    if settings.ingest_write_keys.is_empty() {
        tracing::warn!("INGEST_WRITE_KEYS is not set: /v1/* accepts any caller");
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
