//! Reading a request body within the size and time limits.
//!
//! A body over the limit is refused with 413. Most HTTP clients (urllib, botocore,
//! the AWS CLI) write the whole body before they read the answer; if the server closed
//! the connection with their bytes unread, the kernel would reset it and the client would
//! see a broken pipe instead of the 413. So, like a web server's lingering close, a body
//! that is only somewhat too large is read and thrown away, within a short deadline,
//! before the answer is sent. A body declared far larger is refused at once: reading it
//! would cost more than the courtesy is worth.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use tokio::time::Instant;

/// How many times the limit a refused body may be before it is no longer drained.
const DRAIN_FACTOR: u64 = 4;

/// How long draining a refused body may take.
const DRAIN_DEADLINE: Duration = Duration::from_secs(2);

/// Why a body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Over the size limit.
    TooLarge,
    /// Did not arrive before the deadline.
    TimedOut,
    /// The connection failed while the body was read.
    Broken,
}

/// Reads the whole body, at most `limit` bytes, within `deadline`. `declared` is the
/// request's `Content-Length`, when it had one.
pub async fn read(
    body: Body,
    declared: Option<u64>,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, BodyError> {
    let drain_cap = (limit as u64).saturating_mul(DRAIN_FACTOR);
    if declared.is_some_and(|length| length > drain_cap) {
        return Err(BodyError::TooLarge);
    }
    let started = Instant::now();
    let mut body = body;
    let mut collected = BytesMut::new();
    let mut seen: u64 = 0;
    loop {
        let frame = match tokio::time::timeout_at(started + deadline, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len() as u64);
        if seen > limit as u64 {
            drain(body, seen, drain_cap).await;
            return Err(BodyError::TooLarge);
        }
        collected.extend_from_slice(&data);
    }
    Ok(collected.freeze())
}

/// Reads and discards the rest of a refused body, up to `cap` bytes in all and
/// [`DRAIN_DEADLINE`]; whatever is left then is abandoned with the connection.
async fn drain(mut body: Body, mut seen: u64, cap: u64) {
    let until = Instant::now() + DRAIN_DEADLINE;
    while seen <= cap {
        match tokio::time::timeout_at(until, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    seen = seen.saturating_add(data.len() as u64);
                }
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{StreamExt, stream};

    fn streamed(chunks: Vec<Vec<u8>>) -> Body {
        Body::from_stream(stream::iter(
            chunks.into_iter().map(|chunk| Ok::<_, std::io::Error>(Bytes::from(chunk))),
        ))
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let body = streamed(vec![b"ab".to_vec(), b"cd".to_vec()]);
        assert_eq!(read(body, None, 4, SECOND).await.unwrap(), Bytes::from_static(b"abcd"));
    }

    #[tokio::test]
    async fn one_byte_over_the_limit_is_refused() {
        let body = streamed(vec![b"ab".to_vec(), b"cde".to_vec()]);
        assert_eq!(read(body, None, 4, SECOND).await, Err(BodyError::TooLarge));
    }

    #[tokio::test]
    async fn a_far_larger_declared_length_is_refused_without_reading() {
        // A body that would fail if it were polled: the declared length alone decides.
        let body =
            Body::from_stream(stream::iter(vec![Err::<Bytes, _>(std::io::Error::other("read"))]));
        assert_eq!(read(body, Some(1 << 40), 4, SECOND).await, Err(BodyError::TooLarge));
    }

    #[tokio::test]
    async fn a_refused_body_somewhat_over_the_limit_is_drained() {
        let chunks = vec![vec![0u8; 3]; 5];
        let total = 15;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let counted = stream::iter(
            chunks.into_iter().map(Ok::<_, std::io::Error>).map(|chunk| chunk.map(Bytes::from)),
        )
        .chain(stream::once(async move {
            let _ = sender.send(());
            Ok(Bytes::new())
        }));
        let body = Body::from_stream(counted);
        assert_eq!(read(body, Some(total), 4, SECOND).await, Err(BodyError::TooLarge));
        assert!(receiver.await.is_ok(), "the whole refused body was read");
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickling_body_times_out() {
        let body = Body::from_stream(stream::pending::<Result<Bytes, std::io::Error>>());
        assert_eq!(read(body, None, 4, SECOND).await, Err(BodyError::TimedOut));
    }
}
