//! The made-up company's website: its marketing pages, blog, product and the
//! pages of the conversion flows.

use crate::rng::{Draws, Rng};

/// The site every visitor browses (its app lives on a subdomain: internal traffic).
pub const SITE: &str = "https://www.lumenmetrics.io";
pub const APP: &str = "https://app.lumenmetrics.io";

/// One page of the site.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub base: &'static str,
    pub path: &'static str,
    pub name: &'static str,
    pub title: &'static str,
}

const fn page(path: &'static str, name: &'static str, title: &'static str) -> Page {
    Page {
        base: SITE,
        path,
        name,
        title,
    }
}

const fn app(path: &'static str, name: &'static str, title: &'static str) -> Page {
    Page {
        base: APP,
        path,
        name,
        title,
    }
}

pub const HOME: Page = page(
    "/",
    "Home",
    "Lumen Metrics – Marketing attribution for B2B SaaS",
);
pub const PRICING: Page = page("/pricing", "Pricing", "Pricing – Lumen Metrics");
pub const SIGNUP: Page = page(
    "/signup",
    "Sign Up",
    "Start your free trial – Lumen Metrics",
);
pub const LOGIN: Page = app("/login", "Log In", "Log in – Lumen Metrics");
pub const DEMO: Page = page("/demo", "Request a Demo", "Book a demo – Lumen Metrics");
pub const DASHBOARD: Page = app("/dashboard", "Dashboard", "Dashboard – Lumen Metrics");
pub const BILLING: Page = app("/settings/billing", "Billing", "Billing – Lumen Metrics");
pub const PAID_LANDING: Page = page(
    "/lp/attribution-software",
    "Attribution Software",
    "Multi-touch attribution software – Lumen Metrics",
);

/// Marketing pages people land on and click through.
pub const MARKETING: &[Page] = &[
    HOME,
    PRICING,
    page("/features", "Features", "Features – Lumen Metrics"),
    page(
        "/features/multi-touch-attribution",
        "Multi-Touch Attribution",
        "Multi-touch attribution – Lumen Metrics",
    ),
    page(
        "/features/segment-integration",
        "Segment Integration",
        "Works with Segment – Lumen Metrics",
    ),
    page(
        "/integrations",
        "Integrations",
        "Integrations – Lumen Metrics",
    ),
    page(
        "/integrations/hubspot",
        "HubSpot",
        "HubSpot integration – Lumen Metrics",
    ),
    page(
        "/customers",
        "Customers",
        "Customer stories – Lumen Metrics",
    ),
    page(
        "/customers/fintech-pipeline-visibility",
        "Case Study",
        "How a fintech team found its pipeline – Lumen Metrics",
    ),
    page(
        "/compare/lumen-vs-google-analytics",
        "Compare GA4",
        "Lumen Metrics vs Google Analytics 4",
    ),
    page("/about", "About", "About us – Lumen Metrics"),
    page("/docs", "Docs", "Documentation – Lumen Metrics"),
    page(
        "/docs/getting-started",
        "Getting Started",
        "Getting started – Lumen Metrics docs",
    ),
    page("/changelog", "Changelog", "Changelog – Lumen Metrics"),
];

/// Blog posts: what search, social and newsletters mostly land on.
pub const BLOG: &[Page] = &[
    page(
        "/blog/what-is-multi-touch-attribution",
        "Blog Post",
        "What is multi-touch attribution? – Lumen Metrics blog",
    ),
    page(
        "/blog/utm-parameters-guide",
        "Blog Post",
        "The complete guide to UTM parameters – Lumen Metrics blog",
    ),
    page(
        "/blog/first-touch-vs-last-touch",
        "Blog Post",
        "First touch vs last touch attribution – Lumen Metrics blog",
    ),
    page(
        "/blog/w-shaped-attribution-explained",
        "Blog Post",
        "W-shaped attribution, explained – Lumen Metrics blog",
    ),
    page(
        "/blog/markov-chain-attribution",
        "Blog Post",
        "Markov chain attribution for marketers – Lumen Metrics blog",
    ),
    page(
        "/blog/segment-identify-best-practices",
        "Blog Post",
        "Segment identify() best practices – Lumen Metrics blog",
    ),
    page(
        "/blog/ai-search-traffic",
        "Blog Post",
        "Measuring traffic from ChatGPT and Perplexity – Lumen Metrics blog",
    ),
    page(
        "/blog/b2b-saas-funnel-benchmarks",
        "Blog Post",
        "B2B SaaS funnel benchmarks 2025 – Lumen Metrics blog",
    ),
];

/// Pages of the product, for signed-in users.
pub const PRODUCT: &[Page] = &[
    DASHBOARD,
    app(
        "/reports/channels",
        "Channel Report",
        "Channels – Lumen Metrics",
    ),
    app("/reports/journeys", "Journeys", "Journeys – Lumen Metrics"),
    app("/settings/sources", "Sources", "Sources – Lumen Metrics"),
];

/// The next page of a visit that is not a conversion step.
pub fn next_page(rng: &mut Rng, signed_in: bool) -> Page {
    if signed_in && rng.chance(0.5) {
        rng.pick(PRODUCT)
    } else if rng.chance(0.25) {
        rng.pick(BLOG)
    } else {
        rng.pick(MARKETING)
    }
}
