//! What sma's five Lambda functions share, so that each handler binary is only
//! wiring: JSON logs ([`init_tracing`]), the [`App`] on DynamoDB built once per
//! process with its secrets from SSM ([`app`], [`secrets`]), serving the one axum Router through `lambda_http`
//! ([`serve_http`]), and the DynamoDB stream consumers with partial batch failures
//! ([`run_stream`], [`IdentityMap`], [`Touches`], [`RealtimeFeed`]).
//! `segment-feed` answers HTTP requests and stream batches from one binary
//! ([`serve_http_and_stream`]).
//!
//! The entry points the runtime calls per invocation ([`answer_http`],
//! [`handle_batch`], [`dispatch`]) are public so that tests drive the functions
//! with the exact JSON events Lambda delivers, without a runtime.

mod bootstrap;
mod consumers;
mod dual;
mod http;
mod image;
mod logging;
pub mod metrics;
pub mod secrets;
mod stream;

pub use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord as StreamRecord};
pub use aws_lambda_events::event::streams::DynamoDbEventResponse;
pub use bootstrap::{app, app_with, failure_queue};
pub use consumers::{IdentityMap, RealtimeFeed, Touches};
pub use dual::{dispatch, serve_http_and_stream};
pub use http::{answer_http, function_router, serve_http};
pub use image::{Image, sdk_image};
pub use lambda_runtime::{Context, Error, LambdaEvent};
pub use logging::init_tracing;
pub use sma_app::App;
pub use sma_store_dynamodb::DynamoStore;
pub use stream::{Change, ChangeKind, Consumer, Failed, handle_batch, run_stream};

/// The application every function runs: sma's use cases on the DynamoDB tables.
pub type LambdaApp = App<DynamoStore>;
