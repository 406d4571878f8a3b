//! The socket of one connection, as hyper sees it: reads are reported to the
//! connection's [`Activity`] (for the header timeout), and the answers hyper
//! writes on its own, to a request it could not read (bad framing, too many
//! headers, a URL over 64 KiB), are replaced by the JSON error every other
//! answer of sma has: hyper writes them with an empty body and offers no hook.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::activity::Activity;

pub struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
    /// Response heads written for requests the router answered.
    heads: u64,
    /// Our answer in place of hyper's, and how much of it is written.
    replacing: Option<(Vec<u8>, usize)>,
}

impl<T> Watched<T> {
    pub fn new(inner: T, activity: Arc<Activity>) -> Watched<T> {
        Watched {
            inner,
            activity,
            heads: 0,
            replacing: None,
        }
    }
}

/// A complete HTTP/1.1 answer with a JSON error body, closing the connection.
pub fn json_answer(status: StatusCode, message: &str, retry_after: Option<u32>) -> Vec<u8> {
    let body = serde_json::json!({ "error": message }).to_string();
    let retry = retry_after.map_or(String::new(), |s| format!("retry-after: {s}\r\n"));
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n{retry}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The status of a response head at the start of `bytes`, if one starts there.
fn head_status(bytes: &[u8]) -> Option<u16> {
    let rest = bytes
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| bytes.strip_prefix(b"HTTP/1.0 "))?;
    std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()
}

/// What sma says in place of hyper's empty answer with this status.
fn replacement(status: u16) -> Vec<u8> {
    let (status, message) = match status {
        414 => (
            StatusCode::URI_TOO_LONG,
            format!("URL is over {} bytes", sma_app::MAX_URL_BYTES),
        ),
        431 => (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "request head is too large: at most {MAX_HEADERS} headers of {} bytes in all",
                sma_app::MAX_HEADER_BYTES
            ),
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            "malformed HTTP request (request line, header or framing)".to_owned(),
        ),
    };
    json_answer(status, &message, None)
}

/// hyper's limit on the number of headers of a request (its default).
pub const MAX_HEADERS: usize = 100;

impl<T: AsyncWrite + Unpin> Watched<T> {
    /// Writes what is left of the replacement; ready when all of it is written.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((answer, written)) = &mut self.replacing else {
            return Poll::Ready(Ok(()));
        };
        while *written < answer.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &answer[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none()
            && let Some(status) = head_status(buf).filter(|s| *s >= 200)
        {
            // Each request the router took gets one final head; a head beyond
            // those is hyper's own, to a request the router never saw.
            if this.heads < this.activity.calls() {
                this.heads += 1;
            } else {
                this.replacing = Some((replacement(status), 0));
            }
        }
        if this.replacing.is_some() {
            // hyper closes the connection after its answer: what it writes
            // is dropped, ours goes out instead.
            ready!(this.poll_replacement(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_told_from_bodies() {
        assert_eq!(head_status(b"HTTP/1.1 400 Bad Request\r\n"), Some(400));
        assert_eq!(head_status(b"HTTP/1.0 414 URI Too Long\r\n"), Some(414));
        assert_eq!(head_status(b"{\"error\":\"x\"}"), None);
        assert_eq!(head_status(b"HTTP/1.1 4"), None);
    }

    #[test]
    fn a_replacement_is_a_complete_json_answer() {
        let answer = String::from_utf8(replacement(431)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(json["error"].as_str().unwrap().contains("100 headers"));
    }
}
