//! `intake` (IntakeFunction in template.yaml): `POST /events` and
//! `POST /v1/{kind}`. Validates and stores raw Segment events in EVENTS, once per
//! messageId; the EVENTS stream carries them on to the identity-map and
//! touches functions.

// One invocation at a time per execution environment: a single-threaded runtime
// starts no worker threads, which keeps the cold start short.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sma_lambda::Error> {
    sma_lambda::init_tracing();
    let app = sma_lambda::app().await?;
    sma_lambda::serve_http(app).await
}
