//! Intake through `sma serve` across a restart on the same SQLite file (the
//! other intake tests run in process: `tests/api/intake.rs`).

use crate::common::{Server, identify, page, track};
use serde_json::json;

const T0: &str = "2024-06-01T10:00:00.000Z";

#[tokio::test]
async fn data_survives_a_restart_on_the_same_file() {
    let landing = |id| page(id, "anon-1", T0, "https://acme.io/?utm_source=news", "");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sma.db");
    let server = Server::start_on(&db, &[]);
    let api = server.client();
    api.post_json(
        "/events",
        &json!([
            landing("p-1"),
            identify("i-1", "anon-1", "u-1", T0),
            track("t-1", "u-1", "Signed Up", T0, 10.0)
        ]),
    )
    .await;
    assert!(server.stop().success(), "graceful shutdown exits 0");
    let server = Server::start_on(&db, &[]);
    let api = server.client();
    let user = api.get("/api/user/u-1").await;
    assert_eq!(user.status, 200);
    assert_eq!(user.body["devices"], json!(["anon-1"]));
    assert_eq!(user.body["events"].as_array().unwrap().len(), 3);
    let again = api.post_json("/events", &landing("p-1")).await;
    assert_eq!(
        again.body["duplicates"], 1,
        "idempotency survives the restart"
    );
}
