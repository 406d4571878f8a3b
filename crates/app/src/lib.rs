//! sma's application layer: the use cases (intake, identity, queries) over the
//! storage port, the typed settings, and the one axum [`Router`](axum::Router) that
//! serves every route locally (`sma serve`) and on Lambda (`lambda_http`).

mod config;
mod http;
mod ingest;
mod journey;
mod query;
mod report;
mod rules;
mod touches;

use std::sync::Arc;

pub use config::{SettingError, Settings};
pub use http::router;
pub use ingest::{IngestError, IngestSummary};
pub use query::{Attribution, ConversionView, DeviceView, EventView, TouchView, UserView, iso};
pub use report::{ReportRequest, ReportView, Total};
pub use rules::Rules;

/// The application: settings plus a store. Cheap to clone (one per request).
#[derive(Clone)]
pub struct App<S> {
    pub settings: Arc<Settings>,
    pub rules: Arc<Rules>,
    pub store: S,
}

impl<S: sma_store::Store> App<S> {
    pub fn new(settings: Settings, store: S) -> App<S> {
        App {
            rules: Arc::new(Rules::new(&settings)),
            settings: Arc::new(settings),
            store,
        }
    }
}
