//! Where the Tracking API lives: Segment's US or EU region, or any URL (proxies, tests).

use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::Error;

/// Segment's US (default) region.
pub const US_ENDPOINT: &str = "https://api.segment.io";
/// Segment's EU region.
pub const EU_ENDPOINT: &str = "https://events.eu1.segmentapis.com";

/// Base URL of a Segment Tracking API; batches go to `{endpoint}/v1/batch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Without trailing slash, so that joining a path never doubles or drops one.
    base: String,
}

impl Endpoint {
    /// Reads a `SEGMENT_ENDPOINT` value: empty or `us` is the US region, `eu` the EU
    /// region (both case-insensitive), anything else must be an absolute http(s) URL
    /// without query or fragment; a trailing slash is tolerated.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let trimmed = value.trim();
        let invalid = |reason: &str| Error::InvalidEndpoint {
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        let base = match trimmed.to_ascii_lowercase().as_str() {
            "" | "us" => US_ENDPOINT.to_owned(),
            "eu" => EU_ENDPOINT.to_owned(),
            _ => {
                let url = Url::parse(trimmed).map_err(|e| invalid(&e.to_string()))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(invalid("scheme must be http or https"));
                }
                if url.host().is_none() {
                    return Err(invalid("no host"));
                }
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(invalid("query and fragment are not allowed"));
                }
                url.as_str().trim_end_matches('/').to_owned()
            }
        };
        Ok(Self { base })
    }

    /// The endpoint's base URL, without trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The URL batches are posted to.
    pub fn batch_url(&self) -> String {
        format!("{}/v1/batch", self.base)
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Self {
            base: US_ENDPOINT.to_owned(),
        }
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_by_name() {
        for us in ["", "  ", "us", "US"] {
            assert_eq!(Endpoint::parse(us).unwrap().as_str(), US_ENDPOINT, "{us:?}");
        }
        for eu in ["eu", "EU", " eu "] {
            assert_eq!(Endpoint::parse(eu).unwrap().as_str(), EU_ENDPOINT, "{eu:?}");
        }
    }

    #[test]
    fn default_is_us() {
        assert_eq!(
            Endpoint::default().batch_url(),
            "https://api.segment.io/v1/batch"
        );
    }

    #[test]
    fn urls_kept_and_trailing_slash_tolerated() {
        let cases = [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/batch"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1/batch"),
            (
                "https://proxy.example/segment/",
                "https://proxy.example/segment/v1/batch",
            ),
        ];
        for (given, batch) in cases {
            assert_eq!(Endpoint::parse(given).unwrap().batch_url(), batch);
        }
    }

    #[test]
    fn rejects_what_is_not_an_http_url() {
        for bad in [
            "asia",
            "ftp://example.com",
            "http://",
            "https://x.io/?a=1",
            "https://x.io/#f",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains(&format!("{bad:?}")),
                "error names the value: {err}"
            );
        }
    }
}
