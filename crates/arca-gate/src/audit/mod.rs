//! The audit log: one CloudTrail-shaped event per request, hash-chained.
//!
//! Each line of `audit.jsonl` is one event with three chain fields added: `sequence`
//! (1, 2, ...), `previousHash` and `hash` = SHA-256 over the previous hash and the
//! canonical JSON of the event (keys sorted, `hash` left out). Changing, removing or
//! reordering a line breaks the chain; the chain head is also kept in the store, so a
//! cut-off tail is detected too. Files rotate by size and the chain runs on across
//! them.
//!
//! [`AuditLog`] is a group-committing writer: requests hand it events and wait for an
//! acknowledgement; one task writes every pending event in one batch, syncs the file
//! once, and acknowledges them all. A request whose event cannot be written fails.

mod chain;
mod writer;

pub use chain::{
    ChainHead, GENESIS_HASH, Verification, chain_hash, chain_hash_of_canonical, verify_lines,
};
pub use writer::{AuditError, AuditLog, AuditOptions, Durability, HEAD_KEY, HEAD_TABLE};
