//! Path and query parameters axum cannot decode are answered like every other
//! error: a JSON 400 `{"error": ...}` that names the problem, after auth.

use crate::common::{Reply, spawn_app};

const TOKEN: &str = "rejections-token";

fn assert_json_400(reply: &Reply, what: &str, mentions: &str) {
    assert_eq!(reply.status, 400, "{what}: {:?}", reply.body);
    let content_type = reply.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: content-type {content_type}"
    );
    let error = reply.body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(mentions),
        "{what}: error {error:?} should mention {mentions:?}"
    );
    assert_eq!(
        reply.body.as_object().unwrap().len(),
        1,
        "{what}: only `error` in {:?}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_field_given_twice_is_a_json_400() {
    let server = spawn_app(&[("API_TOKEN", TOKEN)]).await;
    let client = server
        .client()
        .with_header("authorization", &format!("Bearer {TOKEN}"));
    let reply = client.get("/api/report?model=a&model=b").await;
    assert_json_400(&reply, "model twice", "duplicate field `model`");
    assert!(
        reply.body["error"]
            .as_str()
            .unwrap()
            .contains("query string")
    );
    // The same route still answers a well-formed query.
    let fine = client.get("/api/report?model=linear").await;
    assert_eq!(fine.status, 200, "{:?}", fine.body);
    // And a well-formed but unknown value is still the report's own 400.
    let unknown = client.get("/api/report?model=a").await;
    assert_eq!(unknown.status, 400, "{:?}", unknown.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_id_that_is_not_utf8_is_a_json_400_on_every_route() {
    let server = spawn_app(&[
        ("API_TOKEN", TOKEN),
        ("INTAKE_WRITE_KEYS", "rejections-write-key"),
    ])
    .await;
    let client = server
        .client()
        .with_header("authorization", &format!("Bearer {TOKEN}"));
    for path in [
        "/api/user/%FF",
        "/api/device/%FF",
        "/segment/identify/user/%FF",
        "/segment/track/user/%FF",
        "/segment/track/device/a%C3%28b",
    ] {
        let reply = client.get(path).await;
        assert_json_400(&reply, path, "UTF-8");
        assert!(
            reply.body["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid path parameter"),
            "{path}: {:?}",
            reply.body
        );
    }
    let reply = client.post("/v1/%FF", "{}").await;
    assert_json_400(&reply, "/v1/%FF", "UTF-8");
    // A valid id that exists nowhere is still the usual 404.
    let missing = client.get("/api/user/%C3%A9t%C3%A9").await;
    assert_eq!(missing.status, 404, "{:?}", missing.body);
    assert_eq!(missing.body["error"], "no userId \"été\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_checked_before_parameters() {
    let server = spawn_app(&[
        ("API_TOKEN", TOKEN),
        ("INTAKE_WRITE_KEYS", "rejections-write-key"),
    ])
    .await;
    let anonymous = server.client();
    for path in ["/api/user/%FF", "/api/report?model=a&model=b"] {
        let reply = anonymous.get(path).await;
        assert_eq!(reply.status, 401, "{path}: {:?}", reply.body);
        assert!(reply.body["error"].is_string(), "{path}");
    }
    let reply = anonymous.post("/v1/%FF", "{}").await;
    assert_eq!(reply.status, 401, "/v1/%FF: {:?}", reply.body);
}
