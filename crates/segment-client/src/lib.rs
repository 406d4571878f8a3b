//! Outbound Segment Tracking API client: how sma feeds attribution back to Segment.
//!
//! Build [`Message`]s (identify and track calls with deterministic ids), then hand them
//! to [`Client::send`], which packs them into `POST {endpoint}/v1/batch` requests within
//! Segment's limits (32 KB a message, 500 KB and 2,500 messages a request), retries
//! transient failures with jittered exponential backoff, and returns a [`SendReport`]
//! naming every message that was not delivered. Without a write key the client runs dry:
//! it sends nothing and reports what it would have sent.
//!
//! With the `recorder` feature, [`recorder::Recorder`] is a local stand-in for Segment
//! that records what it receives and answers as scripted, for tests.

mod batch;
mod client;
mod config;
mod endpoint;
mod error;
mod id;
mod message;
mod report;
mod retry;

#[cfg(feature = "recorder")]
pub mod recorder;

pub use batch::{MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, MAX_REQUEST_BYTES};
pub use client::{Client, USER_AGENT};
pub use config::ClientConfig;
pub use endpoint::{EU_ENDPOINT, Endpoint, US_ENDPOINT};
pub use error::Error;
pub use id::{SMA_NAMESPACE, message_id};
pub use message::{Kind, LIBRARY_NAME, LIBRARY_VERSION, Message};
pub use report::{Failure, SendReport};
