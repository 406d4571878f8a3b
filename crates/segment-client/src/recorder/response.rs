//! Scripted answers of the recorder.

use std::time::Duration;

/// One answer the recorder gives to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub(crate) reply: Reply,
    pub(crate) delay: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Reset the connection (TCP RST) after reading the request head, before its body.
    Reset,
}

impl Response {
    /// Segment's success: 200 `{"success": true}`.
    pub fn ok() -> Self {
        Self::status(200).body(r#"{"success": true}"#)
    }

    /// An answer with `status` and an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            reply: Reply::Http {
                status,
                headers: Vec::new(),
                body: String::new(),
            },
            delay: Duration::ZERO,
        }
    }

    /// 429 with `Retry-After: {seconds}`.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        Self::status(429).header("Retry-After", &retry_after_seconds.to_string())
    }

    /// The connection is reset in the middle of the request: its head is read, then the
    /// socket is closed with a TCP RST, before the body is read or anything is answered.
    pub fn reset() -> Self {
        Self {
            reply: Reply::Reset,
            delay: Duration::ZERO,
        }
    }

    /// Adds a response header (no effect on [`Response::reset`]).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Http { headers, .. } = &mut self.reply {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Sets the response body (no effect on [`Response::reset`]).
    pub fn body(mut self, text: &str) -> Self {
        if let Reply::Http { body, .. } = &mut self.reply {
            *body = text.to_owned();
        }
        self
    }

    /// Waits this long after reading the request before answering, to provoke timeouts.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The status answered; `None` for a reset.
    pub fn status_code(&self) -> Option<u16> {
        match &self.reply {
            Reply::Http { status, .. } => Some(*status),
            Reply::Reset => None,
        }
    }
}

impl Default for Response {
    fn default() -> Self {
        Self::ok()
    }
}
