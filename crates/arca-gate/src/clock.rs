//! The server's clock, which tests may move forward.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// Wall-clock time plus an offset that only tests set (`--danger-clock-offset`), so
/// that key deletion, rotation and expiry run for real in end-to-end tests.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// A clock with the given initial offset.
    pub fn with_offset_ms(offset_ms: i64) -> Self {
        Self { offset_ms: Arc::new(AtomicI64::new(offset_ms)) }
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let wall = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        wall as i64 + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Now, as a date-time.
    pub fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.now_ms()) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    /// Moves the clock forward by `ms` (tests only).
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The current offset.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}
