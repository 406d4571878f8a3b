//! Reading one setting from the environment: absent and empty values fall
//! back to the default, and a present value that cannot be used is an error
//! naming the setting.

use super::SettingError;

/// The lookup behind every setting (the environment, or a map in tests).
pub(super) struct Env<'a>(pub(super) &'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    /// The setting's value; while it is unset, that of its earlier name if it
    /// was renamed ([`super::RENAMED`]).
    pub(super) fn optional(&self, name: &str) -> Option<String> {
        self.value(name).or_else(|| {
            let (_, earlier) = super::RENAMED.iter().find(|(n, _)| *n == name)?;
            let value = self.value(earlier)?;
            tracing::warn!("{earlier} is the earlier name of {name}: rename it");
            Some(value)
        })
    }

    fn value(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn text(&self, name: &str, default: &str) -> String {
        self.optional(name).unwrap_or_else(|| default.to_owned())
    }

    pub(super) fn list(&self, name: &str, default: &str) -> Vec<String> {
        self.text(name, default)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub(super) fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &str,
        valid: impl Fn(&T) -> bool,
    ) -> Result<T, SettingError> {
        let Some(value) = self.optional(name) else {
            return Ok(default);
        };
        match value.parse::<T>() {
            Ok(v) if valid(&v) => Ok(v),
            _ => Err(SettingError {
                name,
                value,
                problem: format!("expected {expected}"),
            }),
        }
    }

    pub(super) fn number<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, SettingError> {
        self.parsed(name, default, "a whole number", |_| true)
    }

    pub(super) fn positive<T: std::str::FromStr + PartialOrd + Default>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, SettingError> {
        self.parsed(name, default, "a whole number above 0", |v| {
            *v > T::default()
        })
    }

    pub(super) fn positive_f64(
        &self,
        name: &'static str,
        default: f64,
    ) -> Result<f64, SettingError> {
        self.parsed(name, default, "a number above 0", |v: &f64| {
            v.is_finite() && *v > 0.0
        })
    }

    /// The text of the file the setting names, if it names one.
    pub(super) fn file_text(&self, name: &'static str) -> Result<Option<String>, SettingError> {
        let Some(path) = self.optional(name) else {
            return Ok(None);
        };
        std::fs::read_to_string(&path)
            .map(Some)
            .map_err(|e| SettingError {
                name,
                value: path,
                problem: format!("cannot read the file: {e}"),
            })
    }

    pub(super) fn boolean(&self, name: &'static str, default: bool) -> Result<bool, SettingError> {
        let Some(value) = self.optional(name) else {
            return Ok(default);
        };
        match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(SettingError {
                name,
                value,
                problem: "expected true or false".into(),
            }),
        }
    }

    /// `us`, `eu`, or an http(s) URL; stored as the base URL.
    pub(super) fn endpoint(&self, name: &'static str) -> Result<String, SettingError> {
        let value = self.text(name, "us");
        match value.to_ascii_lowercase().as_str() {
            "us" => Ok("https://api.segment.io".into()),
            "eu" => Ok("https://events.eu1.segmentapis.com".into()),
            v if (v.starts_with("http://") || v.starts_with("https://")) && v.len() > 8 => {
                Ok(value.trim_end_matches('/').to_owned())
            }
            _ => Err(SettingError {
                name,
                value,
                problem: "expected us, eu or an http(s) URL".into(),
            }),
        }
    }
}
