//! Arca's storage layer: one [`Store`] trait, two backends.
//!
//! The store is a small transactional record store: records live in named tables,
//! are addressed by string keys, carry a version for optimistic concurrency, and
//! are written in atomic batches whose preconditions are all checked first. Services
//! keep their own serialised records in it (already sealed where they hold secrets);
//! the store never interprets values.
//!
//! Besides records, the store holds **jobs**: due-dated units of background work
//! (key deletion, rotation, renewals) that any node may claim once, and it publishes a
//! **change feed** so that caches on every node are invalidated when a record changes.
//!
//! ```no_run
//! # async fn example() -> Result<(), arca_store::StoreError> {
//! use arca_store::{Precondition, Write};
//!
//! let store = arca_store::open("sqlite:///var/lib/arca/arca.db").await?;
//! let sealed_key = b"sealed key material".to_vec();
//! store.commit(vec![Write::put("kms.keys", "123", sealed_key, Precondition::Absent)]).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Backends: [`SqliteStore`] (one file, the embedded default) and [`PostgresStore`]
//! (several nodes on one database); [`open`] chooses one from a URL.

mod model;
mod open;
mod postgres;
mod sql;
mod sqlite;

pub use model::{Change, Job, Precondition, Record, StoreError, Write, WriteOp};
pub use open::open;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;

/// The storage contract every backend honours (see the conformance suite).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// One record, or `None`.
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError>;

    /// Up to `limit` records of `table` whose keys start with `prefix`, in ascending key
    /// order, beginning after `start_after` when given (for paging).
    async fn list(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError>;

    /// Applies every write atomically and durably, or none: when any precondition
    /// fails the result is [`StoreError::Conflict`] and nothing is written. Returns the
    /// new version of each write in order (0 for deletes). After a successful commit
    /// a [`Change`] per write is published to subscribers on every node.
    ///
    /// Writes apply in order, each precondition checked against the state the earlier
    /// writes of the batch left (so `put(k, Absent)` then `put(k, Version(1))` in one
    /// batch succeeds). Several writes to one record publish one [`Change`] for it, in
    /// the order of its first write (PostgreSQL folds identical notifications).
    async fn commit(&self, writes: Vec<Write>) -> Result<Vec<u64>, StoreError>;

    /// A receiver of changes committed by any node (this one included). Changes are
    /// hints to invalidate caches, not a log: a receiver that lags (`RecvError::Lagged`)
    /// or a feed connection that drops loses some, so caches also expire on a TTL.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change>;

    /// Schedules (or reschedules) the job `id` of `kind` to be due at `due_at`
    /// (Unix milliseconds), replacing any earlier job with the same id.
    async fn schedule_job(
        &self,
        id: &str,
        kind: &str,
        due_at: i64,
        payload: &[u8],
    ) -> Result<(), StoreError>;

    /// Removes job `id`; removing a missing job is not an error.
    async fn cancel_job(&self, id: &str) -> Result<(), StoreError>;

    /// Claims up to `limit` jobs of the given `kinds` that are due at `now` and not
    /// leased to another claimant, leasing each until `lease_until`. Two concurrent
    /// claimants never get the same job while its lease runs, and a job of a kind the
    /// claimant did not name is never leased by it. A lease that ends at or before `now`
    /// has expired; jobs come earliest `due_at` first (then by id).
    async fn claim_due_jobs(
        &self,
        now: i64,
        lease_until: i64,
        kinds: &[&str],
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// Deletes a claimed job once its work is done.
    async fn finish_job(&self, id: &str) -> Result<(), StoreError>;
}
