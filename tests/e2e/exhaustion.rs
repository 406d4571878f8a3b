//! Resource exhaustion, end to end against the real `sma serve`: what the
//! process holds (resident memory, file descriptors) is measured from `/proc`
//! while loops on loopback try to make it hold more, or heavy reports keep it
//! busy, and the server must keep answering `/health` throughout.

mod connections;
mod memory;
mod reports;
