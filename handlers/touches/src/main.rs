//! `touches` (TouchesFunction in template.yaml): consumes the EVENTS stream
//! (every event), folds each device's new events into its session state,
//! detects each visit's source, and writes the touches, conversions and ledger
//! they change in ATTRIBUTION, reporting partial batch failures.

// One invocation at a time per execution environment: a single-threaded runtime
// starts no worker threads, which keeps the cold start short.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sma_lambda::Error> {
    sma_lambda::init_tracing();
    let app = sma_lambda::app().await?;
    sma_lambda::run_stream(app, sma_lambda::Touches).await
}
