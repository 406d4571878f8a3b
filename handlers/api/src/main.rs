//! `api` (ApiFunction in template.yaml): `GET /api/user/{id}`,
//! `GET /api/device/{id}`, `GET /api/report` and its views (`/compare`,
//! `/paths`, `/funnel`, `/series`) and `GET /health`: the query API over the three
//! tables; and the dashboard (`GET /` and its two files).

// One invocation at a time per execution environment: a single-threaded runtime
// starts no worker threads, which keeps the cold start short.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sma_lambda::Error> {
    sma_lambda::init_tracing();
    let app = sma_lambda::app().await?;
    sma_lambda::serve_http(app).await
}
