//! A realistic, reproducible mix of (page URL, referrer) pairs for the benchmark and
//! for the peer comparison script, which reads it through `examples/corpus.rs`.
//!
//! The mix follows what a small SaaS site sees: mostly direct and Google traffic,
//! internal navigation, tagged campaigns with click ids, social, AI assistants,
//! webmail, app referrers, unknown blogs and some garbage.

/// Number of pairs in the corpus.
pub const SIZE: usize = 10_000;

const SITE: &str = "https://www.acme-analytics.com";
const PATHS: &[&str] = &[
    "/",
    "/pricing",
    "/blog/attribution-101",
    "/docs/getting-started",
    "/signup",
    "/features/reports",
];
const GOOGLE: &[&str] = &[
    "https://www.google.com/",
    "https://www.google.co.uk/",
    "https://www.google.de/",
    "https://www.google.com.br/",
    "https://www.google.com/search?q=marketing+attribution+tool",
    "https://www.google.fr/url?sa=t&rct=j&q=&esrc=s&source=web&cd=2",
    "android-app://com.google.android.googlequicksearchbox/",
];
const SEARCH: &[&str] = &[
    "https://www.bing.com/search?q=segment+attribution&form=QBLH",
    "https://duckduckgo.com/",
    "https://search.yahoo.com/search?p=multi+touch+attribution",
    "https://yandex.ru/search/?text=%D0%B0%D1%82%D1%80%D0%B8%D0%B1%D1%83%D1%86%D0%B8%D1%8F",
    "https://www.ecosia.org/search?q=attribution",
    "https://search.brave.com/search?q=attribution",
    "https://kagi.com/",
];
const SOCIAL: &[&str] = &[
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.acme-analytics.com%2F",
    "https://t.co/Ab12Cd34",
    "https://www.linkedin.com/",
    "https://www.reddit.com/r/analytics/comments/abc/",
    "https://news.ycombinator.com/item?id=41234567",
    "https://x.com/",
    "https://www.youtube.com/",
    "https://bsky.app/",
    "https://mastodon.social/@acme",
    "android-app://com.linkedin.android/",
];
const AI: &[&str] = &[
    "https://chatgpt.com/",
    "https://www.perplexity.ai/",
    "https://claude.ai/",
    "https://gemini.google.com/",
    "https://copilot.microsoft.com/",
];
const EMAIL: &[&str] = &[
    "https://mail.google.com/mail/u/0/",
    "https://outlook.live.com/",
    "android-app://com.google.android.gm/",
    "https://deref-gmx.net/mail/client/x/dereferrer/",
];
const CAMPAIGNS: &[&str] = &[
    "?utm_source=newsletter&utm_medium=email&utm_campaign=2026-11-digest",
    "?utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=acme+analytics&gclid=EAIaIQobChMI",
    "?gclid=Cj0KCQiA&gad_source=1",
    "?utm_source=facebook&utm_medium=paid_social&utm_campaign=retarget&fbclid=IwAR2x",
    "?fbclid=IwAR3abc",
    "?utm_source=linkedin&utm_medium=cpc&utm_content=carousel&li_fat_id=1a2b",
    "?msclkid=4f3e2d1c",
    "?utm_source=partner&utm_medium=affiliate&utm_campaign=q4",
    "?utm_source=chatgpt.com",
    "?srsltid=AfmBOoq",
];
const ODD: &[&str] = &[
    "DIRECT",
    "about:blank",
    "www.google.com",
    "http://",
    "https://checkout.stripe.com/c/pay/cs_live",
    "https://accounts.google.com/",
];

/// xorshift64*: small, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The corpus: `SIZE` pairs, identical on every run.
pub fn corpus() -> Vec<(String, Option<String>)> {
    let mut rng = Rng(0x05ee_d0f5_a1e5);
    (0..SIZE)
        .map(|_| {
            let page = format!("{SITE}{}", rng.pick(PATHS));
            let roll = rng.below(100);
            let (query, referrer): (&str, Option<String>) = match roll {
                0..=27 => ("", None),
                28..=47 => ("", Some(rng.pick(GOOGLE).to_owned())),
                48..=55 => ("", Some(format!("{SITE}{}", rng.pick(PATHS)))),
                56..=65 => (
                    rng.pick(CAMPAIGNS),
                    Some(rng.pick(GOOGLE).to_owned()).filter(|_| rng.below(2) == 0),
                ),
                66..=73 => ("", Some(rng.pick(SOCIAL).to_owned())),
                74..=83 => (
                    "",
                    Some(format!(
                        "https://blog{}.example-{}.com/posts/{}",
                        rng.below(50),
                        rng.below(500),
                        rng.below(1000)
                    )),
                ),
                84..=86 => ("", Some(rng.pick(AI).to_owned())),
                87..=90 => ("", Some(rng.pick(SEARCH).to_owned())),
                91..=94 => ("", Some(rng.pick(EMAIL).to_owned())),
                _ => ("", Some(rng.pick(ODD).to_owned())),
            };
            (format!("{page}{query}"), referrer)
        })
        .collect()
}
