//! The values that cross the [`crate::Store`] trait.

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its key within its table.
    pub key: String,
    /// The opaque value.
    pub value: Vec<u8>,
    /// Starts at 1 and grows by one with every put.
    pub version: u64,
}

/// What must hold of a record for a write to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Nothing: last writer wins.
    None,
    /// The record must not exist.
    Absent,
    /// The record must exist at exactly this version.
    Version(u64),
}

/// One write within an atomic commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The table.
    pub table: String,
    /// The record key.
    pub key: String,
    /// Put or delete.
    pub op: WriteOp,
    /// The condition checked before anything in the batch is written.
    pub precondition: Precondition,
}

/// The kind of a [`Write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Insert or replace the value.
    Put(Vec<u8>),
    /// Remove the record (a missing record is fine unless the precondition says otherwise).
    Delete,
}

impl Write {
    /// A put.
    pub fn put(table: &str, key: &str, value: Vec<u8>, precondition: Precondition) -> Self {
        Self { table: table.into(), key: key.into(), op: WriteOp::Put(value), precondition }
    }

    /// A delete.
    pub fn delete(table: &str, key: &str, precondition: Precondition) -> Self {
        Self { table: table.into(), key: key.into(), op: WriteOp::Delete, precondition }
    }
}

/// A committed change, published to every node's subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The table written.
    pub table: String,
    /// The key written.
    pub key: String,
}

/// The table name of a [`Change::resync`]; no real table has it.
const RESYNC_TABLE: &str = "*";

impl Change {
    /// "Changes may have been missed": sent when the feed's connection was lost and
    /// re-established. A subscriber drops everything it caches, as on a lagged feed.
    pub fn resync() -> Self {
        Self { table: RESYNC_TABLE.into(), key: String::new() }
    }

    /// True for [`Change::resync`].
    pub fn is_resync(&self) -> bool {
        self.table == RESYNC_TABLE
    }
}

/// A claimed background job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Unique id (the scheduler chooses it, e.g. `kms.delete/KEYID`).
    pub id: String,
    /// What kind of work it is.
    pub kind: String,
    /// When it became due (Unix milliseconds).
    pub due_at: i64,
    /// Opaque parameters.
    pub payload: Vec<u8>,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A precondition of a commit did not hold; nothing was written.
    #[error("conflicting write to {table}/{key}")]
    Conflict {
        /// Table of the first failing write.
        table: String,
        /// Key of the first failing write.
        key: String,
    },
    /// The backend could not be reached or failed.
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// The configured URL or options are not usable.
    #[error("invalid store configuration: {0}")]
    Config(String),
}
