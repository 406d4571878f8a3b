//! The tables behind the port's traits: raw events ([`events`]), identity
//! claims ([`identity`]) and touches ([`touches`]), and the schema they are
//! created and migrated by ([`schema`]).

pub(crate) mod events;
pub(crate) mod identity;
pub(crate) mod schema;
pub(crate) mod touches;
