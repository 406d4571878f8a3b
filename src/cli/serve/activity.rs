//! What one connection is doing, as the timeouts and the connection limit need
//! to know it: waiting for a request, receiving a head, or handling requests.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;

/// Shared by a connection's task, its socket wrapper ([`super::wire::Watched`])
/// and its service ([`Tracked`]).
#[derive(Debug)]
pub struct Activity {
    state: Mutex<State>,
    /// Asks the connection's task to close it.
    pub close: tokio::sync::Notify,
}

#[derive(Debug)]
struct State {
    /// Requests handed to the router so far.
    calls: u64,
    /// Of those, not yet answered.
    in_flight: u32,
    /// Since when nothing is in flight.
    idle_since: Instant,
    /// When the first byte of the next request head came, while idle.
    head_started: Option<Instant>,
}

/// Why a connection is to be closed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    HeaderRead,
    Idle,
}

impl Activity {
    pub fn new() -> Activity {
        Activity {
            state: Mutex::new(State {
                calls: 0,
                in_flight: 0,
                idle_since: Instant::now(),
                head_started: None,
            }),
            close: tokio::sync::Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn bytes_read(&self) {
        let mut state = self.state();
        if state.in_flight == 0 && state.head_started.is_none() {
            state.head_started = Some(Instant::now());
        }
    }

    fn request_started(&self) {
        let mut state = self.state();
        state.calls += 1;
        state.in_flight += 1;
        state.head_started = None;
    }

    fn request_answered(&self) {
        let mut state = self.state();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
        }
    }

    pub fn calls(&self) -> u64 {
        self.state().calls
    }

    /// Since when the connection has been waiting for a request, when it is.
    pub fn idle_since(&self) -> Option<Instant> {
        let state = self.state();
        (state.in_flight == 0).then_some(state.idle_since)
    }

    /// True when no request was ever handed over: closing it cuts nothing short.
    pub fn never_used(&self) -> bool {
        let state = self.state();
        state.calls == 0 && state.head_started.is_none()
    }

    /// Whether a timeout has run out at `now`, else the next time to look again.
    pub fn check(
        &self,
        now: Instant,
        header_read: Duration,
        idle: Duration,
    ) -> Result<Instant, Expired> {
        let state = self.state();
        // A request in flight is bounded by REQUEST_TIMEOUT_SECONDS, not here.
        let (deadline, expired) = match (state.in_flight, state.head_started) {
            (0, Some(started)) => (started + header_read, Expired::HeaderRead),
            (0, None) => (state.idle_since + idle, Expired::Idle),
            _ => (now + idle, Expired::Idle),
        };
        if deadline <= now {
            return Err(expired);
        }
        // A head may start meanwhile, with an earlier deadline than this one.
        Ok(deadline.min(now + LOOK_AGAIN))
    }
}

/// How often a connection's timeouts are looked at again at most.
const LOOK_AGAIN: Duration = Duration::from_millis(500);

/// The router as one connection's service, telling its [`Activity`] when a
/// request starts and is answered.
pub struct Tracked {
    router: TowerToHyperService<Router>,
    activity: Arc<Activity>,
}

impl Tracked {
    pub fn new(router: Router, activity: Arc<Activity>) -> Tracked {
        Tracked {
            router: TowerToHyperService::new(router),
            activity,
        }
    }
}

/// Counts a request answered when dropped: also when hyper drops it unanswered.
struct Answered(Arc<Activity>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.request_answered();
    }
}

impl hyper::service::Service<hyper::Request<Incoming>> for Tracked {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        self.activity.request_started();
        let answered = Answered(self.activity.clone());
        let response = self.router.call(request);
        Box::pin(async move {
            let response = response.await;
            drop(answered);
            response
        })
    }
}
