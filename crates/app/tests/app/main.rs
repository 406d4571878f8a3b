//! The app's pipeline and reports against its in-memory store: the ledger kept
//! by differences under any delivery order, and the dashboard's figures.

mod dashboard;
mod ledger;
