//! `sma serve`'s own accept loop, in place of `axum::serve`, which has no
//! header-read timeout, no idle timeout and no limit on connections: with
//! them, idle or slow connections cannot use up the process's file
//! descriptors and starve `/health`.
//!
//! At the limit, a new connection closes the one that has waited longest for
//! a request (a client that comes back opens another); only when every
//! connection is handling a request is the new one refused, with a 503.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::activity::{Activity, Expired, Tracked};
use super::wire::{MAX_HEADERS, Watched, json_answer};

/// The connection settings of `sma serve`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

/// hyper's read buffer of one connection, which a request head must fit in:
/// its default (about 400 KiB) let a few hundred uploads hold 80 MiB in these
/// buffers alone, beyond `MAX_UNAUTHENTICATED_BYTES`. A head sma accepts (8 KiB
/// of URL, 32 KiB of headers) fits, and a URL of up to 64 KiB still gets its 414.
const READ_BUFFER_BYTES: usize = 96 * 1024;

/// How long a connection asked to close may take to finish the answer it is
/// writing.
const GRACE: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Open::default());
    let (stopping, stop) = watch::channel(false);
    // Each connection task holds a sender: when all are gone, all are done.
    let (running, mut finished) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, most likely: wait for some to close.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if open.count() >= limits.max_connections && !open.shed_longest_idle() {
            tokio::spawn(refuse(stream));
            continue;
        }
        let (id, activity) = open.add();
        let connection = Connection {
            router: router.clone(),
            limits,
            activity,
            stop: stop.clone(),
        };
        let open = open.clone();
        let running = running.clone();
        tokio::spawn(async move {
            connection.run(stream).await;
            open.remove(id);
            drop(running);
        });
    }
    let _ = stopping.send(true);
    drop(running);
    finished.recv().await;
}

/// The connections being served.
#[derive(Default)]
struct Open {
    next: AtomicU64,
    all: Mutex<HashMap<u64, Arc<Activity>>>,
}

impl Open {
    fn all(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        self.all.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self) -> usize {
        self.all().len()
    }

    fn add(&self) -> (u64, Arc<Activity>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity::new());
        self.all().insert(id, activity.clone());
        (id, activity)
    }

    fn remove(&self, id: u64) {
        self.all().remove(&id);
    }

    /// Asks the connection idle the longest to close, and counts it closed;
    /// false when none is idle.
    fn shed_longest_idle(&self) -> bool {
        let mut all = self.all();
        let longest = all
            .iter()
            .filter_map(|(id, a)| Some((a.idle_since()?, *id)))
            .min();
        let Some((_, id)) = longest else {
            return false;
        };
        if let Some(activity) = all.remove(&id) {
            activity.close.notify_one();
        }
        true
    }
}

struct Connection {
    router: Router,
    limits: Limits,
    activity: Arc<Activity>,
    stop: watch::Receiver<bool>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let io = TokioIo::new(Watched::new(stream, self.activity.clone()));
        let service = Tracked::new(self.router.clone(), self.activity.clone());
        let mut builder = hyper::server::conn::http1::Builder::new();
        // The header timeout is ours (it must not run while a connection
        // merely waits between requests, as hyper's does).
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .max_headers(MAX_HEADERS)
            .max_buf_size(READ_BUFFER_BYTES);
        let connection = builder.serve_connection(io, service);
        let mut connection = std::pin::pin!(connection);
        let mut closing: Option<Instant> = None;
        loop {
            let wake = match closing {
                Some(at) => at + GRACE,
                None => match self.activity.check(
                    Instant::now(),
                    self.limits.header_read,
                    self.limits.idle,
                ) {
                    Ok(next) => next,
                    Err(expired) => {
                        if expired == Expired::HeaderRead {
                            tracing::debug!("request head not received in time: closing");
                        }
                        if self.activity.never_used() {
                            return;
                        }
                        connection.as_mut().graceful_shutdown();
                        closing = Some(Instant::now());
                        continue;
                    }
                },
            };
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended");
                    }
                    return;
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    if closing.is_some() {
                        if self.activity.idle_since().is_some() {
                            // Waiting for a request that will not be served.
                            return;
                        }
                        // A request in flight finishes first (REQUEST_TIMEOUT_SECONDS).
                        closing = Some(Instant::now());
                    }
                }
                () = self.activity.close.notified(), if closing.is_none() => {
                    if self.activity.never_used() {
                        return;
                    }
                    connection.as_mut().graceful_shutdown();
                    closing = Some(Instant::now());
                }
                _ = self.stop.changed(), if closing.is_none() => {
                    connection.as_mut().graceful_shutdown();
                    closing = Some(Instant::now());
                }
            }
        }
    }
}

/// Every connection is busy with a request: this one is told to come back.
async fn refuse(mut stream: TcpStream) {
    let answer = json_answer(
        StatusCode::SERVICE_UNAVAILABLE,
        "too many connections (MAX_CONNECTIONS); retry later",
        Some(1),
    );
    let _ = tokio::time::timeout(GRACE, stream.write_all(&answer)).await;
}
