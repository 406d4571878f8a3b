//! `sma serve`: every endpoint on one local server, the pipeline inline, the
//! embedded store on disk.

mod activity;
mod connections;
mod retention;
mod wire;

use std::time::Duration;

use anyhow::Context;
use sma_app::{AuthSettings, Settings};

use super::context;

pub fn run() -> anyhow::Result<()> {
    let settings = context::settings()?;
    context::runtime()?.block_on(serve(settings))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    warn_if_open(&settings.auth);
    let address = format!("{}:{}", settings.http.host, settings.http.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address} (HOST, PORT)"))?;
    let local = listener.local_addr()?;
    let app = context::serving_app(settings).await?;
    tracing::info!(db = %app.settings.store.sma_db.display(), "store opened");
    let _retention = retention::start(app.store.clone(), app.settings.store.events_ttl_days);
    // The one line a person (and the end-to-end tests) read to find the server.
    println!("sma listening on http://{local}");
    let limits = connections::Limits {
        header_read: Duration::from_secs(app.settings.http.header_read_timeout_seconds.into()),
        idle: Duration::from_secs(app.settings.http.idle_timeout_seconds.into()),
        max_connections: app.settings.http.max_connections,
    };
    connections::serve(listener, sma_app::router(app.clone()), limits, shutdown()).await;
    if let Err(e) = app.finish_intake_log(FINISH_WITHIN).await {
        tracing::warn!(error = %e, "stopping with bodies not yet applied: the next start applies them");
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server waits for the bodies it took in to be applied.
const FINISH_WITHIN: Duration = Duration::from_secs(30);

/// Running without secrets is fine on a laptop and dangerous anywhere else.
fn warn_if_open(auth: &AuthSettings) {
    if auth.api_token.is_none() {
        tracing::warn!(
            "API_TOKEN is not set: /api and /segment answer anyone who can reach this port by the name localhost, 127.0.0.1 or [::1]"
        );
    }
    if auth.segment_shared_secret.is_none() {
        tracing::warn!("SEGMENT_SHARED_SECRET is not set: /events accepts unsigned bodies");
    }
    if auth.intake_write_keys.is_empty() {
        tracing::warn!("INTAKE_WRITE_KEYS is not set: /v1/* accepts any caller");
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
