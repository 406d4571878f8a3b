//! Fault behaviour, end to end: the real `sma serve` / `sma backfill` binaries over
//! real HTTP, with Segment (a recorder from `segment-client`) down or slow, the
//! SQLite file locked by another process, and the server killed with SIGKILL under
//! load. Each fault must end in a clear answer and no lost or altered data.

mod crash;
mod segment;
mod sqlite_lock;

/// A loopback port nothing listens on (it was free a moment ago): connecting to
/// it is refused at once, like a Segment endpoint that is down.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
