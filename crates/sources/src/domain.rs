//! Registrable domains from the public suffix list (compiled into the `psl` crate), and
//! the subdomain walk every host match uses, so that `microsoft.com` is never `t.co`.

use psl::{List, Psl, Type};

/// True for IP literals, which have no public suffix.
fn is_ip(host: &str) -> bool {
    host.starts_with('[') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// The site a host belongs to: its registrable domain under the whole public suffix
/// list, private section included, so `a.github.io` and `b.github.io` are two sites.
pub(crate) fn site(host: &str) -> &str {
    if is_ip(host) {
        return host;
    }
    match List.domain(host.as_bytes()) {
        Some(d) => &host[host.len() - d.as_bytes().len()..],
        None => host,
    }
}

/// Length of the ICANN public suffix of `host` (`co.uk` in `www.google.co.uk`), or
/// `None` for IP literals. Private suffixes (`blogspot.com`) are skipped so that a
/// host on a hosting platform still walks up to the platform's own domain.
pub(crate) fn icann_suffix_len(host: &str) -> Option<usize> {
    if is_ip(host) {
        return None;
    }
    let mut tail = host;
    loop {
        let suffix = List.suffix(tail.as_bytes())?;
        let len = suffix.as_bytes().len();
        if suffix.typ() != Some(Type::Private) {
            return Some(len);
        }
        let text = &tail[tail.len() - len..];
        match text.find('.') {
            Some(dot) => tail = &text[dot + 1..],
            None => return Some(len),
        }
    }
}

/// Byte offsets where each candidate of the subdomain walk starts: the host itself,
/// then each parent down to (and including) its ICANN registrable domain.
pub(crate) fn walk_starts(
    host: &str,
    suffix_len: Option<usize>,
) -> impl Iterator<Item = usize> + '_ {
    let stop = match suffix_len {
        // The registrable domain starts after the dot before the last label ahead of
        // the suffix; a host that is only a suffix has no parent worth matching.
        Some(len) if len < host.len() => {
            let before_suffix = &host[..host.len() - len - 1];
            before_suffix.rfind('.').map_or(0, |dot| dot + 1)
        }
        _ => 0,
    };
    std::iter::once(0)
        .chain(
            host.char_indices()
                .filter(|&(_, c)| c == '.')
                .map(|(i, _)| i + 1),
        )
        .take_while(move |&start| start <= stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(host: &str) -> Vec<&str> {
        walk_starts(host, icann_suffix_len(host))
            .map(|i| &host[i..])
            .collect()
    }

    #[test]
    fn site_uses_the_full_list() {
        assert_eq!(site("www.google.co.uk"), "google.co.uk");
        assert_eq!(site("a.github.io"), "a.github.io");
        assert_eq!(site("127.0.0.1"), "127.0.0.1");
        assert_eq!(site("co.uk"), "co.uk");
    }

    #[test]
    fn walk_stops_at_the_registrable_domain() {
        assert_eq!(
            walk("it.images.search.yahoo.com"),
            [
                "it.images.search.yahoo.com",
                "images.search.yahoo.com",
                "search.yahoo.com",
                "yahoo.com"
            ]
        );
        assert_eq!(
            walk("www.google.co.uk"),
            ["www.google.co.uk", "google.co.uk"]
        );
        assert_eq!(walk("co.uk"), ["co.uk"]);
        assert_eq!(walk("t.co"), ["t.co"]);
        assert_eq!(walk("10.0.0.1"), ["10.0.0.1"]);
    }

    #[test]
    fn walk_passes_through_private_suffixes() {
        assert_eq!(walk("me.blogspot.com"), ["me.blogspot.com", "blogspot.com"]);
    }
}
