//! The audit log: one CloudTrail-shaped event per request, hash-chained, with signed
//! digests of the chain head.
//!
//! # Files
//!
//! Everything lives in one directory (created 0700; every file is created 0600):
//!
//! - `audit.jsonl`: the live file. Each line is one event with three chain fields
//!   added: `sequence` (1, 2, ...), `previousHash` and `hash` = SHA-256 over the
//!   previous hash and the canonical JSON of the event (keys sorted, `hash` left out).
//!   Changing, removing or reordering a line breaks the chain.
//! - `audit-SEQ.jsonl`: rotated files, named after the last sequence they hold
//!   (`audit-SEQ_2.jsonl` should that name be taken: a rotation never replaces a
//!   file). The chain runs on across them; `audit-*.jsonl audit.jsonl` lists them in
//!   chain order.
//! - `audit.digests.jsonl` ([`DIGESTS_FILE`]): signed digests, see below.
//! - `audit.digest-key.pem` ([`PUBLIC_KEY_FILE`]): the public key the digests verify
//!   with, for offline checkers (the store holds the same key).
//! - `audit.torn-TIME.jsonl`: a torn final line moved aside on start, see below.
//!
//! # Digests: a removed tail is detectable
//!
//! The chain alone cannot tell a log whose last records were deleted from one that
//! ended there. As CloudTrail's log file integrity validation does, the writer signs
//! the chain head (its sequence, hash and the time) with an ECDSA P-256 key of the
//! server's and appends it to the digests file: at every rotation, on start when
//! records are not yet covered (after a crash), at least every
//! [`AuditOptions::digest_interval`] (default 300 s) while records are being added,
//! and on clean shutdown ([`AuditLog::close`]). Digests are chained like the events:
//! each counts on (`number`) and names the SHA-256 of the line before it
//! (`previousDigestHash`), so removing a digest shows. `arca audit verify` checks the
//! signatures and that the log reaches the newest digest's sequence with the same
//! hash: at most the records written after the last digest can vanish unnoticed.
//! Digests are kept out of the event chain, where they would vanish with the tail.
//!
//! The store keeps a copy of the chain head and of the last digest; they trail the
//! files (they are written off the request path, at most ten times a second) but
//! catch a tail cut together with the digests that covered it. The signing key is
//! generated on first start; its private half is kept in the store only sealed under
//! the root key ([`DigestKey::rewrap`] re-seals it after a root key rotation).
//!
//! # Recovery on start
//!
//! [`AuditLog::open`] repairs what a crash can leave:
//!
//! - The chain continues from the newest record on disk, in the live file or, when
//!   that is empty just after a rotation, the newest rotated file; the store's copies
//!   are used only when they are ahead (the log lost its tail), which keeps the gap
//!   visible rather than reusing sequence numbers.
//! - A rotation interrupted between naming the rotated file and starting the new one
//!   is finished.
//! - A torn final line (an incomplete write) is copied into a new quarantine file
//!   `audit.torn-TIME.jsonl`, made durable, cut off the live file, and an Arca-internal
//!   event ([`TORN_TAIL_EVENT`]) naming the quarantine file, the number of bytes and
//!   their SHA-256 is appended to the chain. The digests file gets the same treatment.
//!
//! # Writing
//!
//! [`AuditLog`] is a group-committing writer: requests hand it events and wait for an
//! acknowledgement; one thread writes every pending event in one batch, syncs the file
//! once, and acknowledges them all. Each request serialises its own event
//! ([`EventLine`]), so the writer thread, which every request waits for, only adds the
//! chain members, hashes and writes. A request whose event cannot be written fails.
//! Digests are written by the same thread between batches, never costing a batch an
//! extra sync.

mod chain;
mod digest;
mod files;
mod line;
#[cfg(test)]
mod tests;
mod writer;

pub use chain::{
    ChainHead, ChainVerifier, GENESIS_HASH, TORN_FINAL_LINE, Verification, chain_hash,
    chain_hash_of_canonical, verify_lines,
};
pub use digest::{
    DIGEST_KEY_TABLE, DIGESTS_FILE, Digest, DigestCheck, DigestKey, DigestLink, DigestReason,
    LAST_DIGEST_KEY, PUBLIC_KEY_FILE, SIGNATURE_ALGORITHM, check_coverage, check_digests,
    line_hash, public_key_pem, stored_last_digest, stored_public_key, verifying_key,
};
pub use files::{LIVE_FILE, Quarantined, chain_files};
pub use line::{EventLine, EventLineBuilder, EventLineError};
pub use writer::{
    AuditError, AuditLog, AuditOptions, Durability, HEAD_KEY, HEAD_TABLE, TORN_TAIL_EVENT,
};
