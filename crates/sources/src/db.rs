//! The host database: which platform a referrer host (or a `utm_source` value) belongs
//! to, what kind of platform it is, and where its search term sits.
//!
//! The data lives in `data/*.txt`, one file per category, compiled into the binary with
//! `include_str!` and indexed once on first use. Line format (`#` starts a comment):
//!
//! ```text
//! Name | host host.{} host/path label*.host app:package | term params | aliases
//! ```
//!
//! * `host` matches that host and every subdomain of it (subdomain walk);
//! * `name.{}` matches `name` under any public suffix (`google.{}`: google.de, google.co.uk);
//! * `host/path` matches only referrers whose path starts with `/path`;
//! * `label*.host` matches subdomains of `host` whose first label starts with `label`;
//! * `app:package` matches an `android-app://package` referrer.

use std::sync::LazyLock;

use crate::domain::{icann_suffix_len, walk_starts};
use crate::fx::Map;

/// What kind of platform a known host is; decides the channel of a referral from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Category {
    Search,
    Social,
    Video,
    Shopping,
    Email,
    Ai,
    Display,
    PaidSearch,
    /// A known host that is a plain referral although its parent domain is a
    /// platform (docs.google.com is not Google Search).
    Referral,
}

/// Data files in alias priority order: a name claimed by an earlier file keeps it.
pub(crate) const FILES: [(Category, &str); 9] = [
    (Category::Search, include_str!("../data/search.txt")),
    (Category::Social, include_str!("../data/social.txt")),
    (Category::Video, include_str!("../data/video.txt")),
    (Category::Shopping, include_str!("../data/shopping.txt")),
    (Category::Ai, include_str!("../data/ai.txt")),
    (Category::Email, include_str!("../data/email.txt")),
    (Category::Display, include_str!("../data/display.txt")),
    (
        Category::PaidSearch,
        include_str!("../data/paid_search.txt"),
    ),
    (Category::Referral, include_str!("../data/referral.txt")),
];

/// One known platform.
#[derive(Debug)]
pub(crate) struct Platform {
    /// Display name, e.g. `Google Images`.
    pub name: &'static str,
    /// `source` value of a referral from it: the name, lowercased.
    pub source: String,
    pub category: Category,
    /// Query parameters that carry the search term, in preference order.
    pub params: Vec<&'static str>,
}

/// A host pattern's optional path condition and the platform it leads to.
#[derive(Debug, Clone, Copy)]
struct Target {
    path: Option<&'static str>,
    platform: usize,
}

/// Indexed host data.
#[derive(Debug, Default)]
pub(crate) struct Db {
    platforms: Vec<Platform>,
    exact: Map<&'static str, Vec<Target>>,
    /// `name.{}` patterns, keyed by the host without its public suffix.
    any_suffix: Map<&'static str, Vec<Target>>,
    /// `label*.parent` patterns, keyed by parent.
    globs: Map<&'static str, Vec<(&'static str, Target)>>,
    apps: Map<&'static str, usize>,
    aliases: Map<String, usize>,
}

/// The database built from the files compiled in.
pub(crate) static DB: LazyLock<Db> = LazyLock::new(|| Db::from_files(&FILES));

impl Db {
    pub(crate) fn from_files(files: &[(Category, &'static str)]) -> Db {
        let mut db = Db::default();
        for &(category, text) in files {
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("").trim();
                if !line.is_empty() {
                    db.add_line(category, line);
                }
            }
        }
        for targets in db.exact.values_mut().chain(db.any_suffix.values_mut()) {
            // Path-specific patterns first, longest first, then the plain host.
            targets.sort_by_key(|t| std::cmp::Reverse(t.path.map_or(0, str::len)));
        }
        db
    }

    fn add_line(&mut self, category: Category, line: &'static str) {
        let mut fields = line.split('|').map(str::trim);
        let name = fields.next().unwrap_or_default();
        let hosts = fields.next().unwrap_or_default();
        let params = fields.next().unwrap_or_default();
        let aliases = fields.next().unwrap_or_default();
        let platform = self.platforms.len();
        self.platforms.push(Platform {
            name,
            source: name.to_lowercase(),
            category,
            params: params.split_whitespace().collect(),
        });
        for alias in std::iter::once(name).chain(aliases.split_whitespace()) {
            let key = alias.replace('_', " ").to_lowercase();
            self.aliases.entry(key).or_insert(platform);
        }
        for pattern in hosts.split_whitespace() {
            self.add_pattern(pattern, platform);
        }
    }

    fn add_pattern(&mut self, pattern: &'static str, platform: usize) {
        if let Some(package) = pattern.strip_prefix("app:") {
            self.apps.entry(package).or_insert(platform);
            return;
        }
        let (host, path) = match pattern.find('/') {
            Some(i) => (&pattern[..i], Some(&pattern[i..])),
            None => (pattern, None),
        };
        let target = Target { path, platform };
        if let Some(stem) = host.strip_suffix(".{}") {
            self.any_suffix.entry(stem).or_default().push(target);
        } else if let Some((label, parent)) = host.split_once("*.") {
            self.globs.entry(parent).or_default().push((label, target));
        } else {
            self.exact.entry(host).or_default().push(target);
        }
    }

    pub(crate) fn platform(&self, index: usize) -> &Platform {
        &self.platforms[index]
    }

    /// Every platform, in file order.
    pub(crate) fn platforms(&self) -> &[Platform] {
        &self.platforms
    }

    /// The platform a referrer host belongs to: the longest matching host of the
    /// subdomain walk wins; at one host, a matching path beats none.
    pub(crate) fn lookup_host(&self, host: &str, path: &str) -> Option<usize> {
        let suffix_len = icann_suffix_len(host);
        let stem_end = suffix_len
            .filter(|&len| len < host.len())
            .map(|len| host.len() - len - 1);
        walk_starts(host, suffix_len).find_map(|start| {
            let candidate = &host[start..];
            let exact = self.exact.get(candidate).and_then(|t| pick(t, path));
            let any_suffix = || {
                let stem = &host[start..stem_end.filter(|&end| end > start)?];
                self.any_suffix.get(stem).and_then(|t| pick(t, path))
            };
            let glob = || {
                let (label, parent) = candidate.split_once('.')?;
                self.globs.get(parent)?.iter().find_map(|(prefix, t)| {
                    (label.starts_with(prefix) && path_matches(t, path)).then_some(t.platform)
                })
            };
            exact.or_else(any_suffix).or_else(glob)
        })
    }

    /// The platform of an `android-app://` package, trying the package and then its
    /// parents (`com.linkedin.android.jobs` -> `com.linkedin.android`).
    pub(crate) fn lookup_app(&self, package: &str) -> Option<usize> {
        let mut candidate = package;
        loop {
            if let Some(&platform) = self.apps.get(candidate) {
                return Some(platform);
            }
            candidate = &candidate[..candidate.rfind('.')?];
        }
    }

    /// The platform a `utm_source`-style value names: an alias (`fb`, `google`), or
    /// else a host (`m.facebook.com`, `https://chatgpt.com/`).
    pub(crate) fn lookup_name(&self, value: &str) -> Option<usize> {
        let key = value.trim().replace('_', " ").to_lowercase();
        if let Some(&platform) = self.aliases.get(&key) {
            return Some(platform);
        }
        if !key.contains('.') {
            return None;
        }
        let parts = crate::parse::split_url(&key);
        let host = parts.host?;
        self.lookup_host(&host, parts.path)
    }
}

fn path_matches(target: &Target, path: &str) -> bool {
    target.path.is_none_or(|p| path.starts_with(p))
}

fn pick(targets: &[Target], path: &str) -> Option<usize> {
    targets
        .iter()
        .find(|t| path_matches(t, path))
        .map(|t| t.platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_db() -> Db {
        Db::from_files(&[
            (
                Category::Search,
                "Google | google.{} | q | gg\nGoogle Images | google.{}/imgres images.google.{} | q\n# note\nMail Search | go.mail.ru | q",
            ),
            (
                Category::Email,
                "Webmail | webmail*.orange.fr app:com.mail | | \nGmail | mail.google.com | | google",
            ),
        ])
    }

    fn name(db: &Db, found: Option<usize>) -> Option<&'static str> {
        found.map(|i| db.platform(i).name)
    }

    #[test]
    fn hosts_match_by_walk_suffix_path_and_glob() {
        let db = test_db();
        assert_eq!(
            name(&db, db.lookup_host("www.google.co.uk", "/")),
            Some("Google")
        );
        assert_eq!(
            name(&db, db.lookup_host("www.google.fr", "/imgres")),
            Some("Google Images")
        );
        assert_eq!(
            name(&db, db.lookup_host("images.google.com", "/")),
            Some("Google Images")
        );
        assert_eq!(
            name(&db, db.lookup_host("mail.google.com", "/")),
            Some("Gmail")
        );
        assert_eq!(
            name(&db, db.lookup_host("webmail1m.orange.fr", "/")),
            Some("Webmail")
        );
        assert_eq!(name(&db, db.lookup_host("orange.fr", "/")), None);
        assert_eq!(name(&db, db.lookup_host("google.example.com", "/")), None);
        assert_eq!(name(&db, db.lookup_host("mail.ru", "/")), None);
    }

    #[test]
    fn names_resolve_through_aliases_then_hosts() {
        let db = test_db();
        assert_eq!(name(&db, db.lookup_name("GG")), Some("Google"));
        // An alias already claimed by an earlier file stays with it.
        assert_eq!(name(&db, db.lookup_name("google")), Some("Google"));
        assert_eq!(
            name(&db, db.lookup_name("Google_Images")),
            Some("Google Images")
        );
        assert_eq!(
            name(&db, db.lookup_name("https://go.mail.ru/x")),
            Some("Mail Search")
        );
        assert_eq!(name(&db, db.lookup_name("newsletter")), None);
    }

    #[test]
    fn apps_match_the_package_or_a_parent() {
        let db = test_db();
        assert_eq!(name(&db, db.lookup_app("com.mail.inbox")), Some("Webmail"));
        assert_eq!(name(&db, db.lookup_app("org.other")), None);
    }

    /// Host patterns of the compiled-in files, with the line they come from.
    fn shipped_patterns() -> Vec<(&'static str, &'static str)> {
        FILES
            .iter()
            .flat_map(|(_, text)| text.lines())
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty())
            .flat_map(|line| {
                let hosts = line.split('|').nth(1).unwrap_or_default();
                hosts.split_whitespace().map(move |pattern| (pattern, line))
            })
            .collect()
    }

    #[test]
    fn shipped_data_has_no_pattern_twice() {
        let mut seen = std::collections::HashMap::new();
        for (pattern, line) in shipped_patterns() {
            if let Some(first) = seen.insert(pattern, line) {
                panic!("{pattern} is in both\n  {first}\n  {line}");
            }
        }
    }

    #[test]
    fn shipped_patterns_are_lowercase_hosts() {
        for (pattern, line) in shipped_patterns() {
            // Android package names may hold `_`, which no host name has.
            let (host, extra) = match pattern.strip_prefix("app:") {
                Some(package) => (package, b'_'),
                None => (pattern, b'-'),
            };
            let host = host
                .split('/')
                .next()
                .unwrap_or_default()
                .replace("{}", "x")
                .replace('*', "x");
            let valid = host.contains('.')
                && host.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'.'
                        || b == b'-'
                        || b == extra
                });
            assert!(valid, "bad pattern {pattern} in: {line}");
        }
    }

    #[test]
    fn every_shipped_platform_is_reachable() {
        let db = &*DB;
        for (i, p) in db.platforms().iter().enumerate() {
            let by_host = db
                .exact
                .values()
                .chain(db.any_suffix.values())
                .flatten()
                .any(|t| t.platform == i)
                || db.globs.values().flatten().any(|(_, t)| t.platform == i)
                || db.apps.values().any(|&a| a == i);
            let by_alias = db.aliases.values().any(|&a| a == i);
            assert!(by_host || by_alias, "{} can never be detected", p.name);
        }
    }
}
