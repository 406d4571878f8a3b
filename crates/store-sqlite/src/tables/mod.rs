//! The tables behind the port's traits: raw events ([`events`]), identity
//! claims ([`identity`]) and touches ([`touches`]), and the schema they are
//! created and migrated by ([`schema`]).

pub(crate) mod accounts;
pub(crate) mod erasure;
pub(crate) mod events;
pub(crate) mod identity;
pub(crate) mod ledger;
pub(crate) mod markers;
pub(crate) mod path_days;
pub(crate) mod retention;
pub(crate) mod schema;
pub(crate) mod spend;
pub(crate) mod totals;
pub(crate) mod touches;

use sma_store::{Owner, StoreError};

/// An owner (or carrier) as one column: `dev:<anonymousId>`, `usr:<userId>`
/// or `acc:<groupId>`, readable in the shell.
pub(crate) fn owner_key(owner: &Owner) -> String {
    match owner {
        Owner::Device(id) => format!("dev:{id}"),
        Owner::User(id) => format!("usr:{id}"),
        Owner::Account(id) => format!("acc:{id}"),
    }
}

pub(crate) fn owner_of_key(key: &str) -> Result<Owner, StoreError> {
    match key.split_at_checked(4) {
        Some(("dev:", id)) => Ok(Owner::Device(id.to_owned())),
        Some(("acc:", id)) => Ok(Owner::Account(id.to_owned())),
        Some(("usr:", id)) => Ok(Owner::User(id.to_owned())),
        _ => Err(StoreError::Corrupt(format!("owner key {key:?}"))),
    }
}

/// A value the store reads back as JSON it wrote itself.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
