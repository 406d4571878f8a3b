//! The HTTP API against the app in-process on the in-memory store
//! ([`common::spawn_app`]), one test binary for all of them.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod attribution;
mod auth;
mod claims;
mod credit_events;
mod feed;
mod identity;
mod intake;
mod rejections;
