//! The connection loop: plain HTTP or TLS (rustls), HTTP/1.1 and HTTP/2, keep-alive,
//! and graceful shutdown that lets in-flight requests finish.

use std::{future::Future, sync::Arc, time::Duration};

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::{
    StartError,
    config::TlsSection,
    pipeline::{self, PeerAddr},
    state::AppState,
};

/// Loads the certificate chain and key for TLS.
pub fn tls_acceptor(tls: &TlsSection) -> Result<TlsAcceptor, StartError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&tls.cert_file)
        .and_then(|iter| iter.collect())
        .map_err(|e| StartError::Tls(format!("{}: {e}", tls.cert_file.display())))?;
    let key = PrivateKeyDer::from_pem_file(&tls.key_file)
        .map_err(|e| StartError::Tls(format!("{}: {e}", tls.key_file.display())))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StartError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| StartError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until `shutdown` resolves, then waits (up to the grace period)
/// for in-flight requests to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let grace = Duration::from_secs(state.config.server.shutdown_grace_seconds);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
            let state = Arc::clone(&state);
            request.extensions_mut().insert(PeerAddr(peer));
            async move {
                Ok::<_, std::convert::Infallible>(
                    pipeline::handle(state, request.map(Body::new)).await,
                )
            }
        });
        let builder = Builder::new(TokioExecutor::new());
        match &tls {
            None => {
                let connection =
                    builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream = match tokio::time::timeout(
                        Duration::from_secs(10),
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(stream)) => stream,
                        _ => return,
                    };
                    let connection =
                        builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    let _ = watcher.watch(connection).await;
                });
            }
        }
    }
    drop(listener);
    tracing::info!("shutting down: waiting for in-flight requests");
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("grace period over; closing the remaining connections");
    }
}
