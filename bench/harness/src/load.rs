//! The closed-loop load: N keep-alive HTTP/1.1 connections, each sending the next
//! pre-signed request as soon as the previous response has been read in full.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::call::SignedCall;

/// How long and how wide to drive one target.
#[derive(Debug, Clone, Copy)]
pub struct LoadShape {
    /// Concurrent connections (each with one request in flight).
    pub connections: usize,
    /// Time before measuring starts; requests started in it are not counted.
    pub warmup: Duration,
    /// Measured time.
    pub duration: Duration,
}

/// What one load run measured.
#[derive(Debug)]
pub struct LoadReport {
    /// Requests started inside the measured window and answered (any status).
    pub completed: u64,
    /// Of those, answers that were not 200 or failed in transport.
    pub errors: u64,
    /// Connections opened again after the server closed one (not errors).
    pub reconnects: u64,
    /// The measured window.
    pub window: Duration,
    /// Latencies of the measured requests, in microseconds, sorted.
    pub latencies_micros: Vec<u32>,
    /// The first error seen, for the report.
    pub first_error: Option<String>,
}

impl LoadReport {
    /// Completed requests per second of the measured window.
    pub fn throughput(&self) -> f64 {
        self.completed as f64 / self.window.as_secs_f64()
    }

    /// The latency at `quantile` (0..=1), in milliseconds.
    pub fn latency_millis(&self, quantile: f64) -> f64 {
        if self.latencies_micros.is_empty() {
            return f64::NAN;
        }
        let last = self.latencies_micros.len() - 1;
        let index = ((last as f64) * quantile).round() as usize;
        f64::from(self.latencies_micros[index.min(last)]) / 1000.0
    }
}

/// Drives `calls` (replayed round robin) against `address` in the given shape.
pub async fn run(
    address: SocketAddr,
    calls: Arc<Vec<SignedCall>>,
    shape: LoadShape,
) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(!calls.is_empty(), "no calls to replay");
    let start = Instant::now();
    let measure_from = start + shape.warmup;
    let stop_at = measure_from + shape.duration;
    let workers: Vec<_> = (0..shape.connections)
        .map(|index| {
            let calls = Arc::clone(&calls);
            let first_call = index * calls.len() / shape.connections;
            tokio::spawn(worker(address, calls, first_call, measure_from, stop_at))
        })
        .collect();
    let mut report = LoadReport {
        completed: 0,
        errors: 0,
        reconnects: 0,
        window: shape.duration,
        latencies_micros: Vec::new(),
        first_error: None,
    };
    for worker in workers {
        let stats = worker.await?;
        report.completed += stats.latencies_micros.len() as u64;
        report.errors += stats.errors;
        report.reconnects += stats.reconnects;
        report.latencies_micros.extend(stats.latencies_micros);
        if report.first_error.is_none() {
            report.first_error = stats.first_error;
        }
    }
    report.latencies_micros.sort_unstable();
    Ok(report)
}

#[derive(Debug, Default)]
struct WorkerStats {
    latencies_micros: Vec<u32>,
    errors: u64,
    reconnects: u64,
    first_error: Option<String>,
}

impl WorkerStats {
    fn error(&mut self, message: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(message());
        }
    }
}

async fn worker(
    address: SocketAddr,
    calls: Arc<Vec<SignedCall>>,
    first_call: usize,
    measure_from: Instant,
    stop_at: Instant,
) -> WorkerStats {
    let mut stats = WorkerStats::default();
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let mut next_call = first_call;
    let mut opened_before = false;
    while Instant::now() < stop_at {
        let connection = match &mut sender {
            Some(connection) => connection,
            None => match connect(address).await {
                Ok(connection) => {
                    if opened_before {
                        stats.reconnects += 1;
                    }
                    opened_before = true;
                    sender.insert(connection)
                }
                Err(error) => {
                    if Instant::now() >= measure_from {
                        stats.error(|| format!("connect: {error}"));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        if connection.ready().await.is_err() {
            sender = None;
            continue;
        }
        let request = calls[next_call % calls.len()].request();
        next_call += 1;
        let started = Instant::now();
        let measured = started >= measure_from && started < stop_at;
        let outcome = match connection.send_request(request).await {
            Ok(response) => {
                let status = response.status();
                let closing = response
                    .headers()
                    .get(http::header::CONNECTION)
                    .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
                let body = response.into_body().collect().await.map(|body| body.to_bytes());
                if closing {
                    sender = None;
                }
                match body {
                    Ok(_) if status == http::StatusCode::OK => Ok(()),
                    Ok(body) => Err(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )),
                    Err(error) => Err(format!("reading the body: {error}")),
                }
            }
            Err(error) => {
                sender = None;
                Err(format!("sending: {error}"))
            }
        };
        if measured {
            stats
                .latencies_micros
                .push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            if let Err(message) = outcome {
                stats.error(|| message);
            }
        }
    }
    stats
}

async fn connect(address: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // The connection ends when the server closes it; the worker then reconnects.
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request on a fresh connection and returns its status and body.
pub async fn call_once(
    address: SocketAddr,
    request: http::Request<Full<Bytes>>,
) -> anyhow::Result<(http::StatusCode, Bytes)> {
    let mut sender = connect(address).await?;
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(latencies_micros: Vec<u32>) -> LoadReport {
        LoadReport {
            completed: latencies_micros.len() as u64,
            errors: 0,
            reconnects: 0,
            window: Duration::from_secs(2),
            latencies_micros,
            first_error: None,
        }
    }

    #[test]
    fn throughput_and_quantiles() {
        let report = report((1..=100).map(|micros| micros * 1000).collect());
        assert_eq!(report.throughput(), 50.0);
        assert_eq!(report.latency_millis(0.0), 1.0);
        assert_eq!(report.latency_millis(0.5), 51.0);
        assert_eq!(report.latency_millis(0.99), 99.0);
        assert_eq!(report.latency_millis(1.0), 100.0);
    }

    #[test]
    fn no_latencies_is_not_a_number() {
        assert!(report(Vec::new()).latency_millis(0.5).is_nan());
    }
}
