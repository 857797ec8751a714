//! Outbound HTTP for services ([`arca_api::OutboundPost`]): webhook calls such as
//! Secrets Manager's rotation functions. Plain `http://` only, with a deadline on the
//! whole exchange; the answer's body is read (bounded) and dropped.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};

/// Most bytes of an answer read before it is dropped.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Sends `request` and returns the answer's status.
pub(crate) async fn post(request: arca_api::OutboundPost) -> Result<u16, String> {
    if !request.url.starts_with("http://") {
        return Err(format!("only http:// URLs are supported, not {}", request.url));
    }
    let mut builder = http::Request::post(&request.url).header("content-type", "application/json");
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = builder
        .body(Full::new(Bytes::from(request.body)))
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let exchange = async {
        let response =
            client.request(body).await.map_err(|e| format!("cannot reach the URL: {e}"))?;
        let status = response.status().as_u16();
        // Read the answer so that the connection finishes cleanly; its content is unused.
        let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES).collect().await;
        Ok(status)
    };
    tokio::time::timeout(request.timeout, exchange)
        .await
        .map_err(|_| format!("no answer within {} s", request.timeout.as_secs()))?
}
