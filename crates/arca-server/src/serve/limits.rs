//! Connection limits: a bound on open connections that makes room by closing the
//! oldest idle one, and an I/O wrapper that fails a connection on which the client
//! has sent nothing for the idle timeout.
//!
//! When every slot is taken, the accept loop stops accepting (new connections wait in
//! the kernel's backlog) and asks the oldest connection that has no request in
//! progress to close, the way nginx reuses idle keep-alive connections under
//! pressure. Connections that are only held open (a silent socket, one waiting for
//! headers or for its next request) therefore cannot lock out new clients, while a
//! connection whose request is being served is never cut. Only when every slot has a
//! request in progress do new connections wait for one to finish.

use std::{
    collections::BTreeMap,
    future::Future,
    io,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, Sleep},
};

/// How long the accept loop waits for an asked connection to close before asking
/// the next oldest idle one.
const EVICTION_RETRY: Duration = Duration::from_millis(100);

/// The open connections, bounded.
pub struct Connections {
    slots: Arc<Semaphore>,
    /// Open connections by id; ids grow, so the first entries are the oldest.
    open: Mutex<BTreeMap<u64, Arc<ConnectionState>>>,
    next_id: AtomicU64,
}

/// What the accept loop knows about one connection.
#[derive(Default)]
pub struct ConnectionState {
    in_flight: AtomicUsize,
    evicted: AtomicBool,
    /// The waker of the connection's last pending read, to wake it when evicted.
    reader: Mutex<Option<Waker>>,
}

/// A connection's slot: holding it keeps the connection counted; dropping it (when
/// the connection's task ends) frees the slot.
pub struct Slot {
    id: u64,
    state: Arc<ConnectionState>,
    connections: Arc<Connections>,
    _permit: OwnedSemaphorePermit,
}

/// Marks a request in progress on its connection until dropped.
pub struct InFlight(Arc<ConnectionState>);

impl Connections {
    /// Room for `max` connections (at least one).
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(max.max(1))),
            open: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
        })
    }

    /// Waits for a free slot, asking the oldest idle connection to close while none is.
    pub async fn acquire(self: &Arc<Self>) -> Slot {
        loop {
            if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
                return self.register(permit);
            }
            self.evict_oldest_idle();
            tokio::select! {
                permit = Arc::clone(&self.slots).acquire_owned() => {
                    if let Ok(permit) = permit {
                        return self.register(permit);
                    }
                }
                () = tokio::time::sleep(EVICTION_RETRY) => {}
            }
        }
    }

    /// How many connections are open.
    #[cfg(test)]
    pub fn open_count(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Slot {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnectionState::default());
        self.open.lock().unwrap_or_else(|p| p.into_inner()).insert(id, Arc::clone(&state));
        Slot { id, state, connections: Arc::clone(self), _permit: permit }
    }

    /// Asks the oldest connection with no request in progress to close; returns
    /// whether there was one.
    fn evict_oldest_idle(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let victim = open.values().find(|state| {
            state.in_flight.load(Ordering::Acquire) == 0 && !state.evicted.load(Ordering::Acquire)
        });
        match victim {
            Some(state) => {
                tracing::debug!("connection limit reached: closing the oldest idle connection");
                state.evict();
                true
            }
            None => false,
        }
    }
}

impl ConnectionState {
    fn evict(&self) {
        self.evicted.store(true, Ordering::Release);
        if let Some(waker) = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take() {
            waker.wake();
        }
    }

    fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    fn park_reader(&self, waker: &Waker) {
        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        match reader.as_ref() {
            Some(current) if current.will_wake(waker) => {}
            _ => *reader = Some(waker.clone()),
        }
    }
}

impl Slot {
    /// The connection's shared state, for its I/O and its requests.
    pub fn state(&self) -> Arc<ConnectionState> {
        Arc::clone(&self.state)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.connections.open.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

impl InFlight {
    /// Marks a request in progress on the connection of `state`.
    pub fn begin(state: &Arc<ConnectionState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(state))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's byte stream that fails reads and writes once the client has sent
/// nothing for `idle` (a silent socket, a stalled body, an idle keep-alive connection,
/// a client that stops reading its response), or once the connection is evicted.
///
/// Only bytes from the client count as activity: the server's own writes (an HTTP/2
/// ping, a response) do not keep a connection alive.
pub struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    last_read: Instant,
    /// Fires at `last_read + idle` or earlier; re-armed lazily, so a read that returns
    /// bytes costs only a clock read.
    deadline: Pin<Box<Sleep>>,
    state: Arc<ConnectionState>,
}

impl<S> IdleTimeout<S> {
    /// Wraps `inner` with an idle timeout of `idle`.
    pub fn new(inner: S, idle: Duration, state: Arc<ConnectionState>) -> Self {
        let now = Instant::now();
        Self {
            inner,
            idle,
            last_read: now,
            deadline: Box::pin(tokio::time::sleep_until(now + idle)),
            state,
        }
    }

    /// Pending until the idle time is over, then the error that ends the connection.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            if self.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let due = self.last_read + self.idle;
            if due > Instant::now() {
                self.deadline.as_mut().reset(due);
                continue;
            }
            return Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client sent nothing within the idle timeout",
            ));
        }
    }

    fn evicted() -> io::Error {
        io::Error::new(io::ErrorKind::ConnectionAborted, "closed to make room for a new connection")
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.is_evicted() {
            return Poll::Ready(Err(Self::evicted()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.last_read = Instant::now();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                this.state.park_reader(cx.waker());
                // Evicted between the check above and parking: nobody will wake us.
                if this.state.is_evicted() {
                    return Poll::Ready(Err(Self::evicted()));
                }
                this.poll_idle(cx).map(Err)
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Pending => this.poll_idle(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => this.poll_idle(cx).map(Err),
            ready => ready,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.poll_idle(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn wrapped(idle_ms: u64) -> (IdleTimeout<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
        let (server, client) = tokio::io::duplex(64);
        let state = Arc::new(ConnectionState::default());
        (IdleTimeout::new(server, Duration::from_millis(idle_ms), state), client)
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_times_out() {
        let (mut server, _client) = wrapped(1_000);
        let started = Instant::now();
        let error = server.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(1_000));
    }

    #[tokio::test(start_paused = true)]
    async fn each_byte_from_the_client_restarts_the_idle_time() {
        let (mut server, mut client) = wrapped(1_000);
        let started = Instant::now();
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(600)).await;
            client.write_all(b"x").await.unwrap();
            assert_eq!(server.read(&mut [0; 8]).await.unwrap(), 1);
        }
        let error = server.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(4_000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_stops_reading_times_out_the_write() {
        let (mut server, _client) = wrapped(1_000);
        let error = server.write_all(&[0; 1024]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_server_closes_the_oldest_idle_connection_for_a_new_one() {
        let connections = Connections::new(2);
        let busy = connections.acquire().await;
        let _request = InFlight::begin(&busy.state());
        let idle = connections.acquire().await;
        let (server, _client) = tokio::io::duplex(64);
        let mut idle_io = IdleTimeout::new(server, Duration::from_secs(60), idle.state());
        let reader = tokio::spawn(async move {
            let result = idle_io.read(&mut [0; 8]).await;
            drop(idle);
            result
        });
        let third = tokio::time::timeout(Duration::from_secs(1), connections.acquire()).await;
        assert!(third.is_ok(), "the idle connection made room");
        let error = reader.await.unwrap().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
        assert_eq!(connections.open_count(), 2);
        drop(third);
        drop(busy);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_serving_a_request_is_never_evicted() {
        let connections = Connections::new(1);
        let busy = connections.acquire().await;
        let request = InFlight::begin(&busy.state());
        let waiting = tokio::time::timeout(Duration::from_secs(5), connections.acquire()).await;
        assert!(waiting.is_err(), "waited rather than evicting a busy connection");
        assert!(!busy.state().is_evicted());
        drop(request);
        drop(busy);
        assert!(tokio::time::timeout(Duration::from_secs(1), connections.acquire()).await.is_ok());
    }
}
