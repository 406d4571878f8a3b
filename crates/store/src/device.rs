//! A device's touch derivation as the store keeps it: the state it left
//! (opaque: the domain's), versioned so that concurrent writers cannot undo
//! each other, and the touches it derived.

use crate::{Json, TouchRecord};

/// A value as stored, with the version a conditional write names.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// Starts at 1 and grows by one with every write that replaces the value.
    pub version: u64,
    pub value: T,
}

/// One device's derivation moved on: its new state and what changed in its
/// touches, applied together or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceChange {
    pub device: String,
    /// The version of the state the change was derived from (`None`: the
    /// device had none): the change applies only if the stored state is still
    /// that one, so a writer that read an older state cannot overwrite a newer.
    pub expected: Option<u64>,
    pub state: Json,
    /// Touches new or derived anew (replacing the stored touch of the same page).
    pub put: Vec<TouchRecord>,
    /// The device's stored touches that are no longer derived, as read: an
    /// adapter finds each by its page and time.
    pub remove: Vec<TouchRecord>,
}
