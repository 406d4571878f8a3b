//! Page views held in memory until their device's touches are derived, in a
//! compact form: most views share one of a few sources ("Direct", "google /
//! organic" …), so each distinct source is held once.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use foldhash::HashMap;
use sma_attribution::PageView;
use sma_sources::Source;

/// Distinct sources held before the table starts over (bounds memory when every
/// view has its own campaign or search term).
const MAX_SOURCES: usize = 50_000;

/// One view of a known device.
pub struct View {
    timestamp: i64,
    message_id: Box<str>,
    url: Option<Box<str>>,
    referrer: Option<Box<str>>,
    source: Arc<Source>,
}

/// The table of distinct sources.
#[derive(Default)]
pub struct Sources {
    by_hash: HashMap<u64, Vec<Arc<Source>>>,
    len: usize,
}

impl Sources {
    pub fn compact(&mut self, view: PageView) -> View {
        View {
            timestamp: view.timestamp,
            message_id: view.message_id.into(),
            url: view.url.map(Into::into),
            referrer: view.referrer.map(Into::into),
            source: self.intern(view.source),
        }
    }

    fn intern(&mut self, source: Source) -> Arc<Source> {
        if self.len >= MAX_SOURCES {
            self.by_hash.clear();
            self.len = 0;
        }
        let bucket = self.by_hash.entry(hash(&source)).or_default();
        if let Some(known) = bucket.iter().find(|s| ***s == source) {
            return Arc::clone(known);
        }
        let source = Arc::new(source);
        bucket.push(Arc::clone(&source));
        self.len += 1;
        source
    }
}

/// The views of `device` as touches are derived from them; their strings move
/// into the page views, uncopied.
pub fn expand(device: &str, views: Vec<View>) -> Vec<PageView> {
    views
        .into_iter()
        .map(|v| PageView {
            message_id: v.message_id.into_string(),
            device: device.to_owned(),
            timestamp: v.timestamp,
            url: v.url.map(str::into_string),
            referrer: v.referrer.map(str::into_string),
            source: Arc::unwrap_or_clone(v.source),
        })
        .collect()
}

fn hash(source: &Source) -> u64 {
    let mut h = foldhash::fast::FixedState::default().build_hasher();
    source.channel.hash(&mut h);
    source.origin.hash(&mut h);
    for field in [
        &source.source,
        &source.medium,
        &source.campaign,
        &source.term,
        &source.content,
        &source.referrer_host,
        &source.click_id,
    ] {
        field.hash(&mut h);
    }
    source.rule.hash(&mut h);
    h.finish()
}
