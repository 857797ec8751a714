//! The running signature hash of a message, computed inline or on a second core.
//!
//! For signed suites the SHA-256/384 over the whole message costs more than AES-GCM, so
//! when the machine has a spare core the bytes are handed in 256 KiB chunks to a scoped
//! thread that hashes while the caller encrypts or decrypts. The channel holds at most
//! four chunks, so memory stays bounded whatever the message size.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use arca_crypto::ecdsa::{EcdsaCurve, MessageHasher};

use crate::Error;

const CHUNK: usize = 256 * 1024;
const IN_FLIGHT: usize = 4;
/// Messages shorter than this are hashed inline: a thread costs more than it saves.
pub(crate) const PARALLEL_THRESHOLD: u64 = 1 << 20;

/// A message hash being computed, or none for unsigned suites.
pub(crate) enum Digest<'scope> {
    /// Unsigned suite: nothing to hash.
    None,
    /// Hashed on the caller's thread.
    Inline(MessageHasher),
    /// Hashed on a helper thread.
    Parallel(Box<ParallelHasher<'scope>>),
}

pub(crate) struct ParallelHasher<'scope> {
    pending: Vec<u8>,
    sender: SyncSender<Vec<u8>>,
    recycled: Receiver<Vec<u8>>,
    handle: ScopedJoinHandle<'scope, MessageHasher>,
}

impl<'scope> Digest<'scope> {
    /// Starts hashing for `curve` (if any), on a helper thread when a core is spare and
    /// the message is not known to be small (`len_hint` below [`PARALLEL_THRESHOLD`]).
    pub(crate) fn start<'env>(
        curve: Option<EcdsaCurve>,
        scope: &'scope Scope<'scope, 'env>,
        len_hint: Option<u64>,
    ) -> Self {
        let Some(curve) = curve else {
            return Digest::None;
        };
        let parallel =
            len_hint.is_none_or(|len| len >= PARALLEL_THRESHOLD) && crate::pipeline::spare_core();
        if !parallel {
            return Digest::Inline(MessageHasher::new(curve));
        }
        let (sender, chunks) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (recycle, recycled) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let handle = scope.spawn(move || {
            let mut hasher = MessageHasher::new(curve);
            for mut chunk in chunks {
                hasher.update(&chunk);
                chunk.clear();
                let _ = recycle.try_send(chunk);
            }
            hasher
        });
        Digest::Parallel(Box::new(ParallelHasher {
            pending: Vec::with_capacity(CHUNK + 64 * 1024),
            sender,
            recycled,
            handle,
        }))
    }

    /// Feeds more message bytes.
    #[inline]
    pub(crate) fn update(&mut self, data: &[u8]) -> Result<(), Error> {
        match self {
            Digest::None => Ok(()),
            Digest::Inline(hasher) => {
                hasher.update(data);
                Ok(())
            }
            Digest::Parallel(parallel) => {
                parallel.pending.extend_from_slice(data);
                if parallel.pending.len() >= CHUNK {
                    let fresh = parallel
                        .recycled
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 64 * 1024));
                    let full = std::mem::replace(&mut parallel.pending, fresh);
                    parallel.sender.send(full).map_err(|_| hasher_lost())?;
                }
                Ok(())
            }
        }
    }

    /// Ends hashing and returns the hash state, or `None` for unsigned suites.
    pub(crate) fn finish(self) -> Result<Option<MessageHasher>, Error> {
        match self {
            Digest::None => Ok(None),
            Digest::Inline(hasher) => Ok(Some(hasher)),
            Digest::Parallel(parallel) => {
                let ParallelHasher { pending, sender, recycled, handle } = *parallel;
                if !pending.is_empty() {
                    sender.send(pending).map_err(|_| hasher_lost())?;
                }
                drop(sender);
                drop(recycled);
                handle.join().map(Some).map_err(|_| hasher_lost())
            }
        }
    }
}

fn hasher_lost() -> Error {
    Error::Io(std::io::Error::other("the message hashing thread stopped"))
}
