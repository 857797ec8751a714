//! The connection loop: plain HTTP or TLS (rustls), HTTP/1.1 and HTTP/2, keep-alive,
//! and graceful shutdown that lets in-flight requests finish.
//!
//! Every connection is bounded in time and number, so that idle or slow clients cannot
//! hold the server's file descriptors:
//!
//! - `server.header_timeout_seconds`: an HTTP/1 request's headers (and the wait for
//!   the next request on a keep-alive connection) and a TLS handshake must arrive
//!   within it;
//! - `server.idle_timeout_seconds`: a connection on which the client sends nothing
//!   for this long is closed ([`limits::IdleTimeout`]): a silent socket, a stalled
//!   body, an idle HTTP/2 connection, a client that stops reading;
//! - `server.max_connections`: at most this many connections are open; when all are,
//!   the oldest with no request in progress is closed to make room, and new
//!   connections wait in the listen backlog only while every one is serving a
//!   request ([`limits::Connections`]).
//!
//! HTTP/2 keep-alive pings are left off: a client that answers them would keep an
//! idle connection open forever, and the idle timeout already closes connections to
//! peers that have gone away.

mod limits;

use std::{future::Future, sync::Arc, time::Duration};

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::{
    StartError,
    config::TlsSection,
    pipeline::{self, PeerAddr, SecureTransport},
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
    let header_timeout = Duration::from_secs(state.config.server.header_timeout_seconds.max(1));
    let idle_timeout = Duration::from_secs(state.config.server.idle_timeout_seconds.max(1));
    let connections = limits::Connections::new(state.config.server.max_connections);
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(None);
    tokio::pin!(shutdown);
    loop {
        // A slot first, so that an accepted connection always has one.
        let slot = tokio::select! {
            slot = connections.acquire() => slot,
            () = &mut shutdown => break,
        };
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
        let connection_state = slot.state();
        let stream = limits::IdleTimeout::new(stream, idle_timeout, slot.state());
        let state = Arc::clone(&state);
        let secure = tls.is_some();
        let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
            let state = Arc::clone(&state);
            let in_flight = limits::InFlight::begin(&connection_state);
            request.extensions_mut().insert(PeerAddr(peer));
            if secure {
                request.extensions_mut().insert(SecureTransport);
            }
            async move {
                let response = pipeline::handle(state, request.map(Body::new)).await;
                drop(in_flight);
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let builder = builder.clone();
        match &tls {
            None => {
                let connection =
                    builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                    drop(slot);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream =
                        match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            _ => return,
                        };
                    let connection =
                        builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    let _ = watcher.watch(connection).await;
                    drop(slot);
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
