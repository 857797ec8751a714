//! The ceiling: a bare hyper HTTP/1.1 server that reads the request and answers 200
//! with a fixed JSON body shaped like the benchmark's answers, doing no signing checks,
//! no JSON parsing and no cryptography.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serves `body` to every request until the process is killed.
pub async fn serve(listen: SocketAddr, body: Bytes) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, body.clone()));
            // A connection error ends only that connection.
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: http::Request<Incoming>,
    body: Bytes,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    // Read the whole request body, as a real server must before answering.
    let _ = request.into_body().collect().await;
    let response = http::Response::builder()
        .status(http::StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(Full::new(body))
        .expect("a static response is valid");
    Ok(response)
}
