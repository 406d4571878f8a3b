//! `segment-feed` (SegmentFeedFunction in template.yaml): `GET /segment/...`
//! sends a user's or device's attribution to Segment on request; with
//! `REALTIME_FEED=true` it also consumes the ATTRIBUTION stream and sends every
//! new touch at once. One binary answers both kinds of invocation.

// One invocation at a time per execution environment: a single-threaded runtime
// starts no worker threads, which keeps the cold start short.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sma_lambda::Error> {
    sma_lambda::init_tracing();
    let app = sma_lambda::app().await?;
    sma_lambda::serve_http_and_stream(app, sma_lambda::RealtimeFeed).await
}
