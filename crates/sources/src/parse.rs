//! Lenient URL splitting for page URLs and referrers.
//!
//! Referrers in the wild are often not valid URLs (`DIRECT`, `about:blank`, a bare
//! `www.google.com`, `android-app://com.google.android.gm/`, stray spaces). A strict
//! parser would throw the useful part away, so this one only cuts the string where a
//! browser would and never fails: what it cannot make sense of comes back as `None`.
//! It also borrows from the input, which keeps detection allocation-light.

use std::borrow::Cow;

/// The pieces of a URL that source detection looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    /// Scheme as written (compare case-insensitively), if there was one.
    pub scheme: Option<&'a str>,
    /// Host, lowercased, without userinfo, port or trailing dot; `None` when the
    /// string has no usable authority.
    pub host: Option<Cow<'a, str>>,
    /// Path, starting with `/` when present.
    pub path: &'a str,
    /// Query string without the `?`; may end in a `#fragment`, which
    /// [`query_pairs`] ignores.
    pub query: &'a str,
}

impl UrlParts<'_> {
    /// True for `android-app://` and `ios-app://` referrers, whose host is an app id.
    pub fn is_app(&self) -> bool {
        self.scheme.is_some_and(|s| {
            s.eq_ignore_ascii_case("android-app") || s.eq_ignore_ascii_case("ios-app")
        })
    }
}

/// Splits `input` into scheme, host, path and query. Never fails.
pub(crate) fn split_url(input: &str) -> UrlParts<'_> {
    let s = input.trim();
    let (scheme, rest) = split_scheme(s);
    let (authority, after) = match rest.strip_prefix("//") {
        Some(r) => {
            let end = position(r, |b| matches!(b, b'/' | b'?' | b'#' | b'\\'));
            (Some(&r[..end]), &r[end..])
        }
        // A scheme without `//` (about:, mailto:, data:) has no host.
        None if scheme.is_some() => (None, rest),
        // No scheme at all: `www.example.com/path` is still recognisably a host.
        None => {
            let end = position(rest, |b| matches!(b, b'/' | b'?' | b'#'));
            let candidate = &rest[..end];
            if candidate.bytes().any(|b| b == b'.') {
                (Some(candidate), &rest[end..])
            } else {
                (None, rest)
            }
        }
    };
    let host = authority.and_then(clean_host);
    let cut = position(after, |b| b == b'?' || b == b'#');
    let path = &after[..cut];
    // The query may run on into a `#fragment`: `query_pairs` stops there, which
    // saves a scan over the longest part of a page URL.
    let query = match after.as_bytes().get(cut) {
        Some(b'?') => &after[cut + 1..],
        _ => "",
    };
    UrlParts {
        scheme,
        host,
        path,
        query,
    }
}

/// Index of the first byte matching `stop`, or the length.
fn position(s: &str, stop: impl Fn(u8) -> bool) -> usize {
    s.bytes().position(stop).unwrap_or(s.len())
}

/// `scheme:` prefix, if the string starts with one. `www.example.com:8080` is not a
/// scheme (a dotted "scheme" without `//` is a host with a port).
fn split_scheme(s: &str) -> (Option<&str>, &str) {
    let bytes = s.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return (None, s);
    }
    let end = 1 + position(&s[1..], |b| {
        !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if bytes.get(end) != Some(&b':') {
        return (None, s);
    }
    let (candidate, rest) = (&s[..end], &s[end + 1..]);
    if candidate.bytes().any(|b| b == b'.') && !rest.starts_with("//") {
        return (None, s);
    }
    (Some(candidate), rest)
}

/// Host byte classes: bit 0 = may appear in a host, bit 1 = ASCII uppercase.
const HOST_BYTE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_uppercase() {
            0b11
        } else if c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'.' | b'_' | b'[' | b']' | b':')
            || c >= 0x80
        {
            0b01
        } else {
            0
        };
        b += 1;
    }
    table
};

/// Host of an authority: drops userinfo, port and a trailing dot, lowercases, and
/// rejects anything with characters no host name has.
fn clean_host(authority: &str) -> Option<Cow<'_, str>> {
    // One pass for the userinfo end and the last colon (a port, unless IPv6).
    let (mut start, mut colon) = (0, None);
    for (i, b) in authority.bytes().enumerate() {
        match b {
            b'@' => (start, colon) = (i + 1, None),
            b':' => colon = Some(i),
            _ => {}
        }
    }
    let host = &authority[start..];
    let host = if host.starts_with('[') {
        // IPv6 literal: keep the brackets, drop a port after them.
        &host[..host
            .bytes()
            .position(|b| b == b']')
            .map_or(host.len(), |i| i + 1)]
    } else {
        match colon.map(|c| c - start) {
            Some(c) if host[c + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..c],
            _ => host,
        }
    };
    let host = host.trim_end_matches('.');
    let (mut valid, mut upper) = (1u8, 0u8);
    for b in host.bytes() {
        let class = HOST_BYTE[usize::from(b)];
        valid &= class;
        upper |= class;
    }
    match (host.is_empty() || valid == 0, upper & 0b10 != 0) {
        (true, _) => None,
        (false, true) => Some(Cow::Owned(host.to_ascii_lowercase())),
        (false, false) => Some(Cow::Borrowed(host)),
    }
}

/// `key=value` pairs of a query string, raw (not yet percent-decoded).
pub(crate) fn query_pairs(query: &str) -> QueryPairs<'_> {
    QueryPairs(query)
}

/// Iterator of [`query_pairs`]; skips empty pairs (`a=1&&b=2`) and stops at `#`.
pub(crate) struct QueryPairs<'a>(&'a str);

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.0.is_empty() {
            let end = position(self.0, |b| b == b'&' || b == b'#');
            let pair = &self.0[..end];
            self.0 = match self.0.as_bytes().get(end) {
                Some(b'&') => &self.0[end + 1..],
                _ => "",
            };
            if !pair.is_empty() {
                let eq = position(pair, |b| b == b'=');
                return Some((&pair[..eq], pair.get(eq + 1..).unwrap_or("")));
            }
        }
        None
    }
}

/// Percent-decodes a query value (`+` is a space). Invalid escapes stay as written;
/// bytes that are not UTF-8 are replaced rather than rejected.
pub(crate) fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex(b: Option<&u8>) -> Option<u8> {
    let b = *b?;
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The first non-blank decoded value of `key` in `query` (key compared ASCII
/// case-insensitively).
pub(crate) fn param<'a>(query: &'a str, key: &str) -> Option<Cow<'a, str>> {
    query_pairs(query)
        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| decode(v))
        .find(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> Option<String> {
        split_url(s).host.map(Cow::into_owned)
    }

    #[test]
    fn splits_a_full_url() {
        let u = split_url("HTTPS://user:pw@WWW.Example.COM.:8080/a/b?x=1&y=2#frag");
        assert_eq!(u.scheme, Some("HTTPS"));
        assert_eq!(u.host.as_deref(), Some("www.example.com"));
        assert_eq!(u.path, "/a/b");
        let pairs: Vec<_> = query_pairs(u.query).collect();
        assert_eq!(pairs, [("x", "1"), ("y", "2")]);
        assert_eq!(split_url("https://a.com/p#x?y=1").query, "");
    }

    #[test]
    fn accepts_a_bare_host_and_rejects_non_hosts() {
        assert_eq!(
            host("www.google.com/search?q=x"),
            Some("www.google.com".into())
        );
        assert_eq!(host("www.google.com:443"), Some("www.google.com".into()));
        assert_eq!(host("DIRECT"), None);
        assert_eq!(host("about:blank"), None);
        assert_eq!(host("mailto:a@b.c"), None);
        assert_eq!(host("http://exa mple.com/"), None);
        assert_eq!(host(""), None);
    }

    #[test]
    fn app_referrers_keep_the_package_as_host() {
        let u = split_url("android-app://com.google.android.gm/");
        assert!(u.is_app());
        assert_eq!(u.host.as_deref(), Some("com.google.android.gm"));
    }

    #[test]
    fn decodes_percent_and_plus_leniently() {
        assert_eq!(decode("a+b%20c"), "a b c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("caf%C3%A9"), "café");
        assert_eq!(decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn param_skips_blank_values_and_ignores_key_case() {
        assert_eq!(param("q=&Q=x+y", "q").as_deref(), Some("x y"));
        assert_eq!(param("a=1", "q"), None);
    }
}
