//! sma's application layer: the use cases (intake, identity, queries) over the
//! storage port, the typed settings, and the one axum [`Router`](axum::Router) that
//! serves every route locally (`sma serve`) and on Lambda (`lambda_http`).

mod account;
mod bulk;
mod config;
mod feed;
mod http;
mod intake;
mod intake_log;
mod journey;
mod pipeline;
mod query;
mod report;
mod rules;
mod screened;
mod spend;
mod touches;

use std::sync::Arc;

pub use account::{AccountView, MemberView};
pub use bulk::{Bulk, Finished};
pub use config::{
    AuthSettings, FeedSettings, HttpSettings, RENAMED, ReportSettings, RuleSettings, SettingError,
    Settings, StoreKind, StoreSettings,
};
pub use feed::{FeedError, FeedParts};
pub use http::{Deadline, MAX_HEADER_BYTES, MAX_URL_BYTES, router};
pub use intake::{IntakeError, IntakeSummary};
pub use journey::Subject;
pub use pipeline::{CreditChange, Processed};
pub use query::{Attribution, ConversionView, DeviceView, EventView, TouchView, UserView, iso};
pub use report::{
    AssistedRow, BucketRow, CampaignRow, ChannelReport, CompareView, Costs, FunnelRow, FunnelView,
    Interval, ModelFigures, ModelsRow, PathRow, PathsRequest, PathsView, Period, ReportRequest,
    ReportView, SeriesPoint, SeriesRequest, SeriesView, StageRates, Total, parse_models,
};
pub use rules::Rules;
pub use spend::{RowAt, SpendError, SpendInput, SpendRejection, SpendSummary};

/// The application: settings plus a store. Cheap to clone (one per request).
#[derive(Clone)]
pub struct App<S> {
    pub settings: Arc<Settings>,
    pub rules: Arc<Rules>,
    pub store: S,
    /// The one Segment client (one connection pool) of the process.
    pub segment: segment_client::Client,
    /// Locally the pipeline runs right after intake; on AWS the stream consumers
    /// run it.
    inline_pipeline: bool,
    /// Bytes held by bodies of senders not yet authenticated, across requests.
    unauthenticated: Arc<http::Budget>,
    /// Under `sma serve`: bodies are answered once logged and applied after.
    intake_log: Option<Arc<sma_intake_log::IntakeLog<App<S>>>>,
}

impl<S: sma_store::Store> App<S> {
    pub fn new(settings: Settings, store: S) -> Result<App<S>, segment_client::Error> {
        let endpoint = segment_client::Endpoint::parse(&settings.feed.segment_endpoint)?;
        let config =
            segment_client::ClientConfig::new(endpoint, settings.feed.analytics_write_key.clone());
        Ok(App {
            unauthenticated: Arc::new(http::Budget::new(settings.http.max_unauthenticated_bytes)),
            rules: Arc::new(Rules::new(&settings.rules)),
            segment: segment_client::Client::new(config)?,
            settings: Arc::new(settings),
            store,
            inline_pipeline: true,
            intake_log: None,
        })
    }

    /// The AWS shape: intake only stores; the EVENTS and ATTRIBUTION stream
    /// consumers run identity, touches and the real-time feed.
    pub fn streamed(mut self) -> App<S> {
        self.inline_pipeline = false;
        self
    }
}
