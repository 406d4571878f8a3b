//! The AWS pipeline on DynamoDB Local: intake, the stream consumers, claims,
//! deadlines, the feed, secrets, write capacity per event and partition heat.

mod support;

mod capacity;
mod claims;
mod deadline;
mod feed;
mod heat;
mod pipeline;
mod secrets;
