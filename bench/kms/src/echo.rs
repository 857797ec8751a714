//! The ceiling: a bare hyper HTTP/1.1 server that reads the request and answers 200
//! with a small KMS-shaped JSON body, doing no signing checks and no cryptography.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"KeyId":"arn:aws:kms:us-east-1:000000000000:key/echo","CiphertextBlob":"ZWNobw==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#;

/// Serves until the process is killed.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = service_fn(answer);
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
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    // Read the whole request body, as a real server must before answering.
    let _ = request.into_body().collect().await;
    let response = http::Response::builder()
        .status(http::StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(Full::new(Bytes::from_static(BODY)))
        .expect("a static response is valid");
    Ok(response)
}
