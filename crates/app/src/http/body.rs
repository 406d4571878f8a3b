//! Reading an intake body: bounded in size, in time and, while its sender is not
//! yet authenticated, by a budget shared by every connection.
//!
//! A signature can only be checked once the whole body is in, so an anonymous
//! caller can make sma hold bytes; without a shared bound a few hundred stalled
//! uploads hold a few hundred times `MAX_BODY_BYTES`. Budget bytes are taken as
//! they arrive (a declared length costs nothing until it is sent) and given back
//! as soon as the body is authenticated or dropped.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use axum::http::{HeaderMap, StatusCode};

use super::ApiError;
use crate::HttpSettings;

/// The bytes held by bodies whose sender is not yet authenticated, across
/// connections (`MAX_UNAUTHENTICATED_BYTES`).
#[derive(Debug)]
pub struct Budget {
    used: AtomicUsize,
    limit: usize,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            used: AtomicUsize::new(0),
            limit,
        }
    }
}

/// Bytes taken from a [`Budget`]; given back on drop.
#[must_use = "the bytes go back to the budget when this is dropped"]
pub struct Held<'a> {
    budget: Option<&'a Budget>,
    bytes: usize,
}

impl Held<'_> {
    fn take(&mut self, bytes: usize) -> bool {
        let Some(budget) = self.budget else {
            return true;
        };
        let before = budget.used.fetch_add(bytes, Ordering::AcqRel);
        if before + bytes > budget.limit {
            budget.used.fetch_sub(bytes, Ordering::AcqRel);
            return false;
        }
        self.bytes += bytes;
        true
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(budget) = self.budget {
            budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
        }
    }
}

/// A body read whole, and the budget it holds until its sender is authenticated.
pub struct Read<'a> {
    pub bytes: Bytes,
    pub held: Held<'a>,
}

/// Reads `body`, inflating gzip (`Content-Encoding: gzip`, an option of Segment's
/// libraries; the size limit applies to the inflated bytes too, so a small bomb
/// cannot blow up). `budget` is `None` when the headers already authenticated
/// the caller.
pub async fn read<'a>(
    body: Body,
    headers: &HeaderMap,
    settings: &HttpSettings,
    budget: Option<&'a Budget>,
) -> Result<Read<'a>, ApiError> {
    let limit = settings.max_body_bytes;
    let encoding = encoding(headers)?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut held = Held { budget, bytes: 0 };
    let within = Duration::from_secs(settings.body_read_timeout_seconds.into());
    let capacity = declared.map_or(0, |n| n as usize);
    let raw = tokio::time::timeout(within, collect(body, limit, capacity, &mut held))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "body not received within {} s (BODY_READ_TIMEOUT_SECONDS)",
                    within.as_secs()
                ),
            )
            .closing()
        })??;
    let bytes = match encoding {
        Encoding::Identity => raw,
        Encoding::Gzip => gunzip(&raw, limit)?,
    };
    Ok(Read { bytes, held })
}

const RESERVED_UP_FRONT: usize = 256 * 1024;

async fn collect(
    mut body: Body,
    limit: usize,
    capacity: usize,
    held: &mut Held<'_>,
) -> Result<Bytes, ApiError> {
    // A declared length is only a claim: a little is reserved up front, the
    // rest grows with what arrives.
    let mut bytes = Vec::with_capacity(capacity.min(RESERVED_UP_FRONT));
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("cannot read body: {e}")).closing()
        })?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        if bytes.len() + chunk.len() > limit {
            return Err(too_large());
        }
        if !held.take(chunk.len()) {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many bodies from unauthenticated senders in flight \
                 (MAX_UNAUTHENTICATED_BYTES); retry later",
            )
            .closing());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}

enum Encoding {
    Identity,
    Gzip,
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("" | "identity") => Ok(Encoding::Identity),
        Some("gzip") => Ok(Encoding::Gzip),
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Encoding {other:?}; use gzip or none"),
        )),
    }
}

fn gunzip(body: &[u8], limit: usize) -> Result<Bytes, ApiError> {
    use std::io::Read;
    let mut inflated = Vec::new();
    let read = flate2::read::MultiGzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("body is not valid gzip: {e}"),
            )
        })?;
    if read > limit {
        return Err(too_large());
    }
    Ok(Bytes::from(inflated))
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body is larger than the limit (MAX_BODY_BYTES)",
    )
    .closing()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_given_back() {
        let budget = Budget::new(10);
        let mut a = Held {
            budget: Some(&budget),
            bytes: 0,
        };
        let mut b = Held {
            budget: Some(&budget),
            bytes: 0,
        };
        assert!(a.take(6));
        assert!(!b.take(5), "6 + 5 is over 10");
        assert!(b.take(4));
        drop(a);
        assert!(b.take(6));
        drop(b);
        assert_eq!(budget.used.load(Ordering::Acquire), 0);
    }
}
