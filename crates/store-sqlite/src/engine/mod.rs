//! What every table goes through: one writer thread that commits what is queued
//! in one transaction ([`writer`]), the background checkpoints that keep the
//! WAL short ([`checkpoint`]), raw messages packed with trained zstd
//! dictionaries ([`packing`]), and the put-off indexes of a bulk load
//! ([`bulk`]).

pub(crate) mod bulk;
pub(crate) mod checkpoint;
pub(crate) mod packing;
pub(crate) mod writer;
