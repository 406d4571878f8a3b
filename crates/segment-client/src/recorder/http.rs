//! Just enough HTTP/1.1 server for an HTTP client to talk to the recorder:
//! Content-Length bodies and keep-alive; no chunked uploads, no pipelining guarantees.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest request head accepted; anything bigger is not a Tracking API call.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted (well above Segment's own 500 KB).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request line and its headers.
#[derive(Debug)]
pub(crate) struct Head {
    pub method: String,
    pub path: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the client wants the connection kept open after this exchange.
    pub fn keep_alive(&self) -> bool {
        let connection = self.header("connection").map(str::to_ascii_lowercase);
        match self.version.as_str() {
            "HTTP/1.0" => connection.as_deref() == Some("keep-alive"),
            _ => connection.as_deref() != Some("close"),
        }
    }

    pub fn content_length(&self) -> io::Result<usize> {
        let length = match self.header("content-length") {
            None => 0,
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| invalid("bad Content-Length"))?,
        };
        if length > MAX_BODY {
            return Err(invalid("body too large"));
        }
        Ok(length)
    }
}

/// Case-insensitive header lookup.
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Reads the next request head from `stream`; bytes read past it stay in `buf`.
/// `None` at a clean end of stream between requests.
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> io::Result<Option<Head>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = parse_head(&buf[..end])?;
            buf.drain(..end + 4);
            return Ok(Some(head));
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("request head too large"));
        }
        if read_more(stream, buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
    }
}

/// Reads a body of `length` bytes, starting with what is already in `buf`.
pub(crate) async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    length: usize,
) -> io::Result<Vec<u8>> {
    while buf.len() < length {
        if read_more(stream, buf).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(buf.drain(..length).collect())
}

async fn read_more<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn parse_head(bytes: &[u8]) -> io::Result<Head> {
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("bad request line"));
    };
    let headers = lines
        .map(|line| {
            line.split_once(':')
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| invalid("bad header line"))
        })
        .collect::<io::Result<_>>()?;
    Ok(Head {
        method: method.to_owned(),
        path: path.to_owned(),
        version: version.to_owned(),
        headers,
    })
}

/// Writes a complete response with a Content-Length body.
pub(crate) async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    headers: &[(String, String)],
    body: &str,
    keep_alive: bool,
) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    if header(headers, "content-type").is_none() {
        out.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(out.as_bytes()).await?;
    stream.flush().await
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_two_keep_alive_requests_from_one_stream() {
        let wire = b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}\
GET /p HTTP/1.1\r\nconnection: close\r\n\r\n";
        let mut stream = &wire[..];
        let mut buf = Vec::new();
        let first = read_head(&mut stream, &mut buf).await.unwrap().unwrap();
        assert_eq!(
            (first.method.as_str(), first.path.as_str()),
            ("POST", "/v1/batch")
        );
        assert!(first.keep_alive());
        let body = read_body(&mut stream, &mut buf, first.content_length().unwrap()).await;
        assert_eq!(body.unwrap(), b"{}");
        let second = read_head(&mut stream, &mut buf).await.unwrap().unwrap();
        assert_eq!(second.header("Connection"), Some("close"));
        assert!(!second.keep_alive());
        assert!(read_head(&mut stream, &mut buf).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn truncated_body_is_an_error() {
        let mut stream = &b"abc"[..];
        let err = read_body(&mut stream, &mut Vec::new(), 10)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn response_has_length_and_default_content_type() {
        let mut out = Vec::new();
        let headers = [("Retry-After".to_owned(), "1".to_owned())];
        write_response(&mut out, 429, &headers, "{}", true)
            .await
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n\
Retry-After: 1\r\nContent-Length: 2\r\n\r\n{}"
        );
    }
}
