//! Who may call what: API_TOKEN on the query API, FEED_TOKEN on the feed, the
//! webhook signature on /events, write keys on the Tracking API paths.

use crate::common::{TestApp, page, spawn_app};
use base64::Engine;
use serde_json::json;

const TOKEN: &str = "t0ken-for-tests-only";
const SECRET: &str = "abc123";

async fn secured() -> TestApp {
    spawn_app(&[
        ("API_TOKEN", TOKEN),
        ("SEGMENT_SHARED_SECRET", SECRET),
        ("INTAKE_WRITE_KEYS", "wk-1,wk-2"),
    ])
    .await
}

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

fn body(id: &str) -> String {
    page(id, "anon-a", "2024-06-01T10:00:00Z", "https://acme.io/", "").to_string()
}

#[tokio::test]
async fn the_query_api_needs_the_bearer_token() {
    let server = secured().await;
    let anonymous = server.client().get("/api/user/u1").await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.headers["www-authenticate"], "Bearer");
    assert!(
        !anonymous.body["error"].as_str().unwrap().contains(TOKEN),
        "no secret leaks"
    );
    let wrong = server
        .client()
        .with_header("authorization", "Bearer nope")
        .get("/api/user/u1")
        .await;
    assert_eq!(wrong.status, 401);
    let write_key = server
        .client()
        .with_header("authorization", &basic("wk-1"))
        .get("/api/user/u1")
        .await;
    assert_eq!(
        write_key.status, 403,
        "a known write key is identified but not allowed to read"
    );
    let right = server
        .client()
        .with_header("authorization", &format!("Bearer {TOKEN}"))
        .get("/api/user/u1")
        .await;
    assert_eq!(
        right.status, 404,
        "authorised: the user just does not exist"
    );
    assert_eq!(
        server.client().get("/health").await.status,
        200,
        "health stays open"
    );
}

#[tokio::test]
async fn the_feed_needs_its_own_token_once_one_is_set() {
    const FEED: &str = "feed-t0ken-for-tests";
    let get = |server: &TestApp, path: &'static str, token: &'static str| {
        let client = server
            .client()
            .with_header("authorization", &format!("Bearer {token}"));
        async move { client.get(path).await.status }
    };
    let feed = "/segment/identify/user/u1";
    let split = spawn_app(&[("API_TOKEN", TOKEN), ("FEED_TOKEN", FEED)]).await;
    assert_eq!(
        get(&split, feed, TOKEN).await,
        401,
        "the read token sends nothing out"
    );
    assert_ne!(get(&split, feed, FEED).await, 401);
    assert_eq!(
        get(&split, "/api/user/u1", FEED).await,
        401,
        "the feed token reads nothing"
    );
    assert_eq!(get(&split, "/api/user/u1", TOKEN).await, 404);

    // Without FEED_TOKEN the read token still guards the feed.
    let one = spawn_app(&[("API_TOKEN", TOKEN)]).await;
    assert_ne!(get(&one, feed, TOKEN).await, 401);
    assert_eq!(get(&one, feed, FEED).await, 401);
}

#[tokio::test]
async fn the_webhook_needs_segments_signature() {
    let server = secured().await;
    let reader = server
        .client()
        .with_header("authorization", &format!("Bearer {TOKEN}"));
    let unsigned = server.client().post("/events", body("m-1")).await;
    assert_eq!(unsigned.status, 401);
    let forged = server
        .client()
        .with_header("x-signature", &"0".repeat(40))
        .post("/events", body("m-1"))
        .await;
    assert_eq!(forged.status, 401);
    assert_eq!(
        reader.get("/api/device/anon-a").await.status,
        404,
        "nothing stored"
    );

    let signature = sma_spec::sign(SECRET.as_bytes(), body("m-1").as_bytes());
    let signed = server
        .client()
        .with_header("x-signature", &signature)
        .post("/events", body("m-1"))
        .await;
    assert_eq!(
        (signed.status, signed.body["accepted"].as_u64()),
        (200, Some(1))
    );

    // Webhooks (Actions) batching: Segment signs only the first element, which
    // says nothing of the messages appended after it (a forged identify, a
    // conversion worth 1e9). Such a body is refused whole.
    let first = body("m-2");
    let forged = json!({"type": "track", "messageId": "forged", "userId": "mallory",
        "event": "Order Completed", "properties": {"revenue": 1e9}});
    let appended = format!("[{first},{forged}]");
    let first_only = sma_spec::sign(SECRET.as_bytes(), first.as_bytes());
    let refused = server
        .client()
        .with_header("x-signature", &first_only)
        .post("/events", appended.clone())
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        reader.get("/api/user/mallory").await.status,
        404,
        "nothing stored"
    );

    // A batch of one, signed on its element, and a batch signed whole, are taken.
    let lone = server
        .client()
        .with_header("x-signature", &first_only)
        .post("/events", format!("[{first}]"))
        .await;
    assert_eq!(
        (lone.status, lone.body["accepted"].as_u64()),
        (200, Some(1))
    );
    let array = format!("[{},{}]", body("m-3"), body("m-5"));
    let whole = sma_spec::sign(SECRET.as_bytes(), array.as_bytes());
    let batch = server
        .client()
        .with_header("x-signature", &whole)
        .post("/events", array)
        .await;
    assert_eq!(
        (batch.status, batch.body["accepted"].as_u64()),
        (200, Some(2))
    );
    // A batching destination that sends the bearer token is taken whole.
    let bearer_batch = reader
        .post("/events", format!("[{},{}]", body("m-6"), body("m-7")))
        .await;
    assert_eq!(bearer_batch.body["accepted"].as_u64(), Some(2));

    let bearer = reader.post("/events", body("m-4")).await;
    assert_eq!(bearer.status, 200, "the API token is accepted too");
    assert_eq!(
        reader.get("/api/device/anon-a").await.body["events"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
}

#[tokio::test]
async fn the_tracking_api_needs_a_write_key() {
    let server = secured().await;
    let batch =
        json!({"batch": [serde_json::from_str::<serde_json::Value>(&body("m-1")).unwrap()]})
            .to_string();
    let none = server.client().post("/v1/batch", batch.clone()).await;
    assert_eq!(none.status, 401);
    let unknown = server
        .client()
        .with_header("authorization", &basic("wk-3"))
        .post("/v1/batch", batch.clone())
        .await;
    assert_eq!(unknown.status, 401);
    let known = server
        .client()
        .with_header("authorization", &basic("wk-2"))
        .post("/v1/batch", batch)
        .await;
    assert_eq!(
        (known.status, known.body["accepted"].as_u64()),
        (200, Some(1))
    );
}

#[tokio::test]
async fn gzip_bodies_are_inflated_within_the_limit() {
    use std::io::Write;
    let server = spawn_app(&[("MAX_BODY_BYTES", "100000")]).await;
    let gzip = |text: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    };
    let api = server.client().with_header("content-encoding", "gzip");
    let ok = api
        .post(
            "/v1/batch",
            gzip(format!("{{\"batch\": [{}]}}", body("gz-1")).as_bytes()),
        )
        .await;
    assert_eq!((ok.status, ok.body["accepted"].as_u64()), (200, Some(1)));
    let bomb = api.post("/v1/batch", gzip(&vec![b' '; 1_000_000])).await;
    assert_eq!(bomb.status, 413, "inflated size counts");
    let broken = api.post("/v1/batch", b"not gzip".to_vec()).await;
    assert_eq!(broken.status, 400);
    let brotli = server
        .client()
        .with_header("content-encoding", "br")
        .post("/v1/batch", "{}")
        .await;
    assert_eq!(brotli.status, 415);
}

/// Without API_TOKEN (a laptop), `/api/*` answers only requests for a loopback
/// host name: a page that rebinds its own name to 127.0.0.1 cannot read it.
#[tokio::test]
async fn without_a_token_only_loopback_host_names_are_served() {
    let server = spawn_app(&[]).await;
    let port = server.address().rsplit_once(':').unwrap().1.to_owned();
    for host in [
        "localhost".to_owned(),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("LOCALHOST:{port}"),
    ] {
        let reply = server
            .client()
            .with_header("host", &host)
            .get("/api/report")
            .await;
        assert_eq!(reply.status, 200, "{host}: {}", reply.body);
    }
    for host in ["evil.example", "evil.example:3000", "127.0.0.1.nip.io"] {
        let reply = server
            .client()
            .with_header("host", host)
            .get("/api/report")
            .await;
        assert_eq!(reply.status, 403, "{host}");
        assert!(reply.body["error"].as_str().unwrap().contains("API_TOKEN"));
        let feed = server
            .client()
            .with_header("host", host)
            .get("/segment/identify/user/u1")
            .await;
        assert_eq!(feed.status, 403, "{host}");
    }
    let health = server
        .client()
        .with_header("host", "evil.example")
        .get("/health")
        .await;
    assert_eq!(health.status, 200, "only the read API is held to it");
}

/// Answers are never cached and never sniffed, errors included.
#[tokio::test]
async fn answers_are_not_cached_or_sniffed() {
    let server = secured().await;
    let denied = server.client().get("/api/user/u1").await;
    let allowed = server
        .client()
        .with_header("authorization", &format!("Bearer {TOKEN}"))
        .get("/api/report")
        .await;
    for reply in [denied, allowed] {
        assert_eq!(reply.headers["cache-control"], "no-store");
        assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    }
}
