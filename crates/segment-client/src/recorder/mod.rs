//! A local stand-in for Segment's Tracking API, for tests: it records every request and
//! answers from a script (429 with Retry-After, 503, 400, a connection reset …), 200
//! `{"success": true}` once the script is used up.
//!
//! It listens on 127.0.0.1 with a plain TCP listener and speaks just enough HTTP/1.1, so
//! that a test controls the wire (down to resetting a connection mid-request) and the
//! client under test goes through its real HTTP stack.

mod http;
mod response;
mod sums;

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

pub use sums::{Sums, sum_by, sums_agree};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::Endpoint;
use response::Reply;
pub use response::Response;

/// A running recorder; it stops listening when dropped.
#[derive(Debug)]
pub struct Recorder {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

/// A request as the recorder received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `POST`, `GET` …
    pub method: String,
    /// The request target, e.g. `/v1/batch`.
    pub path: String,
    /// Headers in the order received, names as sent.
    pub headers: Vec<(String, String)>,
    /// The raw body (empty when the connection was reset before it was read).
    pub body: Vec<u8>,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// The status answered; `None` when the connection was reset instead.
    pub status: Option<u16>,
    /// When the request head arrived.
    pub received_at: Instant,
}

impl RecordedRequest {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, name)
    }

    /// The items of the body's `batch` array (empty if there is none).
    pub fn batch(&self) -> &[Value] {
        self.json
            .as_ref()
            .and_then(|body| body.get("batch"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether the recorder answered with a 2xx, i.e. accepted the request.
    pub fn accepted(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }
}

#[derive(Debug, Default)]
struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    script: Mutex<VecDeque<Response>>,
    connections: AtomicUsize,
}

impl Shared {
    fn next_response(&self) -> Response {
        lock(&self.script).pop_front().unwrap_or_default()
    }

    fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }
}

/// A panicking test thread must not hide what was recorded from the others.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Recorder {
    /// Starts a recorder on an ephemeral port of 127.0.0.1.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let server = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// The base URL to use as the Segment endpoint, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// [`Recorder::url`] as an [`Endpoint`].
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::parse(&self.url()).expect("a loopback http URL is a valid endpoint")
    }

    /// Queues the answer to a coming request; answers are used in the order queued.
    pub fn push_response(&self, response: Response) {
        lock(&self.shared.script).push_back(response);
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// TCP connections accepted so far (a client with a working pool opens few).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// The batch items of every accepted (2xx) request, flattened in order: what Segment
    /// would have ingested.
    pub fn messages(&self) -> Vec<Value> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.accepted())
            .flat_map(|r| r.batch().iter().cloned())
            .collect()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Dropping the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            shared.connections.fetch_add(1, Ordering::Relaxed);
            connections.spawn(serve(stream, Arc::clone(&shared)));
        }
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
}

/// Serves requests on one connection until the client closes it or a script says reset.
async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buf = Vec::new();
    // I/O errors end the connection: the client sees that, and that is all a test needs.
    while let Ok(Some(head)) = http::read_head(&mut stream, &mut buf).await {
        let received_at = Instant::now();
        let response = shared.next_response();
        let mut request = RecordedRequest {
            method: head.method.clone(),
            path: head.path.clone(),
            headers: head.headers.clone(),
            body: Vec::new(),
            json: None,
            status: response.status_code(),
            received_at,
        };
        let Reply::Http {
            status,
            headers,
            body,
        } = response.reply
        else {
            shared.record(request);
            // Zero linger turns the close into a TCP RST: a connection reset by peer.
            let _ = stream.set_zero_linger();
            return;
        };
        if head.header("transfer-encoding").is_some() {
            request.status = Some(411);
            shared.record(request);
            let _ = http::write_response(&mut stream, 411, &[], "", false).await;
            return;
        }
        let Ok(length) = head.content_length() else {
            return;
        };
        let Ok(raw) = http::read_body(&mut stream, &mut buf, length).await else {
            return;
        };
        request.json = serde_json::from_slice(&raw).ok();
        request.body = raw;
        // Recorded before answering, so a client that got the answer finds its request.
        shared.record(request);
        tokio::time::sleep(response.delay).await;
        let keep_alive = head.keep_alive();
        let written = http::write_response(&mut stream, status, &headers, &body, keep_alive);
        if written.await.is_err() || !keep_alive {
            return;
        }
    }
}
