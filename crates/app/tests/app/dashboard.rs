//! The dashboard comes from the Router itself, open to anyone (it holds no
//! data), under a policy that lets the page run nothing but its own files.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sma_app::{App, Settings, router};
use sma_store::memory::MemoryStore;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    content_type: String,
    policy: String,
    body: String,
}

async fn get(path: &str) -> Answer {
    let settings = Settings::from_lookup(|name| (name == "API_TOKEN").then(|| "secret".into()))
        .expect("valid settings");
    let app = App::new(settings, MemoryStore::new()).unwrap();
    let request = Request::get(path)
        .header(header::HOST, "localhost")
        .body(Body::empty())
        .unwrap();
    let response = router(app).oneshot(request).await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, content_type) = (response.status(), header(header::CONTENT_TYPE));
    let policy = header(header::CONTENT_SECURITY_POLICY);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        policy,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn the_page_is_html_without_a_token_under_a_strict_policy() {
    let page = get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    let policy = &page.policy;
    assert!(policy.starts_with("default-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    let script = r#"<script src="dashboard.js" defer></script>"#;
    assert!(page.body.contains(script));
    // Nothing inline that the policy would block, and nothing from elsewhere.
    assert!(!page.body.contains("<script>") && !page.body.contains("style="));
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
}

#[tokio::test]
async fn the_script_and_style_are_served_with_their_types() {
    for (path, content_type) in [
        ("/dashboard.js", "text/javascript; charset=utf-8"),
        ("/dashboard.css", "text/css; charset=utf-8"),
    ] {
        let asset = get(path).await;
        assert_eq!(asset.status, StatusCode::OK, "{path}");
        assert_eq!(asset.content_type, content_type, "{path}");
        assert!(!asset.policy.is_empty(), "{path}");
        assert!(asset.body.len() > 500, "{path}");
    }
    // The API next to it still wants the token.
    assert_eq!(get("/api/report").await.status, StatusCode::UNAUTHORIZED);
}
