//! The `sma` binary as a user runs it: `sma serve` on a SQLite file (killed,
//! locked, starved of connections or memory), the CLI's commands (import,
//! rebuild, report, backfill, spend, redrive …) and the settings it reads. One
//! test binary for all of them; the HTTP API in-process is `tests/api/`.

#[path = "../common/mod.rs"]
mod common;

mod backfill;
mod cli;
mod exhaustion;
mod faults;
mod forgetting;
mod import;
mod intake;
mod limits;
mod openapi;
mod redrive;
mod reports;
mod settings;
mod spend;
