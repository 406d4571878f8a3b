//! Sending messages to the Tracking API batch endpoint: packing, auth, retries, dry-run.

use std::error::Error as _;
use std::time::Duration;

use tokio::time::Instant;

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};

use crate::batch::{self, MAX_MESSAGE_BYTES};
use crate::retry::{self, Verdict};
use crate::{ClientConfig, Error, Failure, Message, SendReport};

/// `User-Agent` of every request, so Segment-side logs show who sent it.
pub const USER_AGENT: &str = concat!("sma/", env!("CARGO_PKG_VERSION"), " (segment-client)");

/// Longest part of an error response body quoted in a failure reason.
const MAX_REASON_BODY: usize = 300;

/// A Tracking API client. Holds one connection pool: build it once and share it
/// (it is cheap to clone; clones share the pool).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
    batch_url: String,
    /// Longest one [`Client::send`] may take, retries included (see [`Client::within`]).
    budget: Option<Duration>,
}

/// How one attempt at a request ended.
enum Attempt {
    Delivered,
    Rejected(String),
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
}

impl Client {
    /// A client for `config`; fails only if the HTTP stack cannot be initialised.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        // reqwest takes the process's default rustls provider. An error means one
        // is installed already, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.request_timeout)
            // Segment never redirects the batch endpoint; following one would turn the
            // POST into something else and hide the misconfiguration.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let batch_url = config.endpoint.batch_url();
        Ok(Self {
            http,
            config,
            batch_url,
            budget: None,
        })
    }

    /// This client (same pool) with every [`Client::send`] bounded to `budget` in
    /// total: no attempt starts or backoff sleeps past it, an attempt in flight is cut
    /// at it, and batches not delivered by then are reported failed. A caller that must
    /// answer within a deadline (an HTTP request) gets its report in time instead of
    /// being cut off with nothing; without a budget a send may take
    /// `max_attempts` x `request_timeout` plus backoffs per batch.
    pub fn within(&self, budget: Duration) -> Self {
        Self {
            budget: Some(budget),
            ..self.clone()
        }
    }

    /// The settings this client runs with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// True when no write key is configured: [`Client::send`] sends nothing.
    pub fn is_dry_run(&self) -> bool {
        self.config.effective_write_key().is_none()
    }

    /// Sends `messages` in order, packed into as few requests as the limits allow, each
    /// retried on transient failures. Never fails as a whole: the report says what was
    /// delivered and why anything was not. In dry-run it sends nothing and lists what
    /// would have been sent.
    pub async fn send(&self, messages: Vec<Message>) -> SendReport {
        let mut report = SendReport {
            messages: messages.len(),
            dry_run: self.is_dry_run(),
            ..SendReport::default()
        };
        let mut ready = Vec::with_capacity(messages.len());
        for message in &messages {
            let json = serde_json::to_vec(message).expect("a message always serialises");
            if json.len() > MAX_MESSAGE_BYTES {
                report.failed.push(Failure {
                    message_id: message.message_id().to_owned(),
                    reason: batch::too_large(json.len()),
                });
            } else {
                ready.push((message, json));
            }
        }
        let sizes: Vec<usize> = ready.iter().map(|(_, json)| json.len()).collect();
        let plan = batch::plan(&sizes);
        report.batches = plan.len();

        let Some(write_key) = self.config.effective_write_key() else {
            tracing::info!(
                messages = ready.len(),
                batches = report.batches,
                "no Segment write key: dry run, nothing sent"
            );
            report.would_send = ready.iter().map(|(m, _)| m.to_json()).collect();
            return report;
        };
        let deadline = self.budget.map(|budget| Instant::now() + budget);
        for range in plan {
            let batch = &ready[range];
            match self.deliver(write_key, batch, deadline).await {
                Ok(()) => report.sent += batch.len(),
                Err(reason) => report.failed.extend(batch.iter().map(|(m, _)| Failure {
                    message_id: m.message_id().to_owned(),
                    reason: reason.clone(),
                })),
            }
        }
        report
    }

    /// Posts one batch until it is accepted, rejected, out of attempts or past the
    /// deadline.
    async fn deliver(
        &self,
        write_key: &str,
        batch: &[(&Message, Vec<u8>)],
        deadline: Option<Instant>,
    ) -> Result<(), String> {
        let mut attempt = 1;
        loop {
            let timeout = match deadline.map(|d| d.saturating_duration_since(Instant::now())) {
                Some(Duration::ZERO) if attempt == 1 => {
                    return Err(self.out_of_time("not attempted"));
                }
                Some(left) => left.min(self.config.request_timeout),
                None => self.config.request_timeout,
            };
            // Stamped per attempt: Segment reads `sentAt` as the moment of sending.
            let body = batch::body(batch.iter().map(|(_, json)| json.as_slice()), Utc::now());
            let (reason, retry_after) = match self.attempt(write_key, body, timeout).await {
                Attempt::Delivered => return Ok(()),
                Attempt::Rejected(reason) => return Err(reason),
                Attempt::Transient {
                    reason,
                    retry_after,
                } => (reason, retry_after),
            };
            if attempt >= self.config.max_attempts {
                return Err(format!("gave up after {attempt} attempts: {reason}"));
            }
            let wait = match retry_after {
                Some(asked) => asked.min(self.config.max_retry_after),
                None => retry::backoff(
                    attempt,
                    self.config.initial_backoff,
                    self.config.max_backoff,
                ),
            };
            // Sleeping past the deadline only delays the same failure.
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                let gave_up = format!("gave up after {attempt} attempts: {reason}");
                return Err(self.out_of_time(&gave_up));
            }
            tracing::warn!(
                attempt,
                messages = batch.len(),
                wait_ms = wait.as_millis() as u64,
                %reason,
                "segment batch failed, retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    fn out_of_time(&self, what: &str) -> String {
        let budget = self.budget.unwrap_or_default().as_secs_f64();
        format!("{what}; the time budget of this send ({budget:.1} s) ran out")
    }

    async fn attempt(&self, write_key: &str, body: Vec<u8>, timeout: Duration) -> Attempt {
        let sent = self
            .http
            .post(&self.batch_url)
            .timeout(timeout)
            .basic_auth(write_key, None::<&str>)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_builder() || e.is_redirect() => return Attempt::Rejected(describe(&e)),
            Err(e) => {
                return Attempt::Transient {
                    reason: format!("network error: {}", describe(&e)),
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::retry_after(v, Utc::now()));
        let verdict = retry::verdict(status.as_u16());
        // Reading the body to its end lets the connection go back to the pool.
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| format!("(body unreadable: {})", describe(&e)));
        let reason = format!("HTTP {status}: {}", truncate(text.trim(), MAX_REASON_BODY));
        match verdict {
            Verdict::Delivered => Attempt::Delivered,
            Verdict::Reject => Attempt::Rejected(reason),
            Verdict::Retry => Attempt::Transient {
                reason,
                retry_after,
            },
        }
    }
}

/// An error with its causes: reqwest's own message rarely says what went wrong
/// ("error sending request"), its sources do ("connection reset by peer").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
