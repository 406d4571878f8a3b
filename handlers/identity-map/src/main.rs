//! `identity-map` (IdentityMapFunction in template.yaml): consumes the EVENTS
//! stream (identify, alias, events carrying both ids) and records each device's
//! link to its user in USER_MAP, reporting partial batch failures.

// One invocation at a time per execution environment: a single-threaded runtime
// starts no worker threads, which keeps the cold start short.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sma_lambda::Error> {
    sma_lambda::init_tracing();
    let app = sma_lambda::app().await?;
    sma_lambda::run_stream(app, sma_lambda::IdentityMap).await
}
