//! How engaged the generated visitors are. `engaged` (the default, the
//! archive every benchmark and test has used) has visitors come back about
//! twice and read a few pages each time, on up to three devices;
//! `realistic` has the shape of a real site's traffic, most visitors
//! anonymous with one or two page views, which is what an import mostly
//! writes in practice.

/// The profile `sma gen --profile` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    #[default]
    Engaged,
    Realistic,
}

impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Profile, String> {
        match s {
            "engaged" => Ok(Profile::Engaged),
            "realistic" => Ok(Profile::Realistic),
            other => Err(format!(
                "unknown profile `{other}` (expected engaged or realistic)"
            )),
        }
    }
}

/// The numbers a profile sets.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// The chance, after each session, that the visitor comes back.
    pub returns: f64,
    /// The chance, after each page, of reading another.
    pub more_pages: f64,
    /// Weights of 1, 2 and 3 devices.
    pub devices: [(u8, f64); 3],
}

impl Profile {
    pub fn shape(self) -> Shape {
        match self {
            Profile::Engaged => Shape {
                returns: 0.55,
                more_pages: 0.62,
                devices: [(1, 55.0), (2, 33.0), (3, 12.0)],
            },
            // About 80% of visitors come once; a session is 1.4 pages on
            // average (GA4's pages per session on content-led B2B sites is
            // 1.3 to 2).
            Profile::Realistic => Shape {
                returns: 0.2,
                more_pages: 0.3,
                devices: [(1, 90.0), (2, 8.0), (3, 2.0)],
            },
        }
    }
}
