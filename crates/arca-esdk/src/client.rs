//! The client: policy and limits, and the encrypt/decrypt entry points.

use std::io::{Read, Write};

use crate::Error;
use crate::cmm::CryptographicMaterialsManager;
use crate::context::EncryptionContext;
use crate::header::MessageHeader;
use crate::suite::{AlgorithmSuite, CommitmentPolicy};

/// The default frame length (4 KiB), as in the AWS SDKs.
pub const DEFAULT_FRAME_LENGTH: u32 = 4096;

/// Encrypts and decrypts messages under a commitment policy and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// Which suites may encrypt and which messages may be decrypted.
    pub commitment_policy: CommitmentPolicy,
    /// Refuse to write or read a message with more wrapped data keys than this.
    pub max_encrypted_data_keys: Option<u16>,
    /// Seal and open the frames of long unsigned messages on a helper thread beside the
    /// caller's. The caller's thread reads and writes in order and seals or opens whatever
    /// the helper has not taken, so on a busy machine the body goes at about one-core
    /// speed rather than waiting on the helper; a helper starts only once about 1 MiB of
    /// frames is buffered, so short messages never pay for a thread. (Signed suites hash
    /// on a second core instead, whatever this says.) On by default; turn it off to keep
    /// a stream on the calling thread alone.
    pub parallel_frames: bool,
}

impl Default for Client {
    /// `REQUIRE_ENCRYPT_REQUIRE_DECRYPT`, no data key limit, frames on two threads.
    fn default() -> Self {
        Self::new(CommitmentPolicy::default())
    }
}

/// Per-message encryption settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptOptions {
    /// The encryption context to bind to the message.
    pub encryption_context: EncryptionContext,
    /// The suite; `None` picks the policy's default (0x0578 or 0x0378).
    pub suite: Option<AlgorithmSuite>,
    /// Plaintext bytes per frame (at least 1).
    pub frame_length: u32,
    /// The plaintext length, when known before streaming: it lets a caching manager
    /// account for bytes, and encryption fails if the input turns out longer.
    pub plaintext_length: Option<u64>,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        Self {
            encryption_context: EncryptionContext::new(),
            suite: None,
            frame_length: DEFAULT_FRAME_LENGTH,
            plaintext_length: None,
        }
    }
}

/// Per-message decryption settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecryptOptions {
    /// Pairs that must be in the message's encryption context; pairs the message does
    /// not store are supplied as the reproduced context (required encryption context keys).
    pub encryption_context: EncryptionContext,
    /// Refuse signed messages (so no plaintext is withheld until a signature at the end).
    pub unsigned_only: bool,
}

/// What a successful decryption learned about the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedMessage {
    /// The parsed header.
    pub header: MessageHeader,
    /// The full encryption context (stored plus reproduced pairs).
    pub encryption_context: EncryptionContext,
}

impl Client {
    /// A client with the given commitment policy, no data key limit, and frames of long
    /// unsigned messages on two threads.
    pub fn new(commitment_policy: CommitmentPolicy) -> Self {
        Self { commitment_policy, max_encrypted_data_keys: None, parallel_frames: true }
    }

    /// Encrypts `plaintext` into one message.
    pub fn encrypt(
        &self,
        cmm: &dyn CryptographicMaterialsManager,
        plaintext: &[u8],
        options: &EncryptOptions,
    ) -> Result<(Vec<u8>, MessageHeader), Error> {
        let mut out = Vec::with_capacity(plaintext.len() + plaintext.len() / 64 + 1024);
        let mut input = plaintext;
        let options =
            EncryptOptions { plaintext_length: Some(plaintext.len() as u64), ..options.clone() };
        let header = crate::encrypt::encrypt_stream(self, cmm, &options, &mut input, &mut out)?;
        Ok((out, header))
    }

    /// Decrypts one complete message. Nothing is returned unless every frame, the header
    /// tag and the signature (for signed suites) verify and no bytes follow the message.
    pub fn decrypt(
        &self,
        cmm: &dyn CryptographicMaterialsManager,
        message: &[u8],
        options: &DecryptOptions,
    ) -> Result<(Vec<u8>, DecryptedMessage), Error> {
        let mut out = Vec::with_capacity(message.len());
        let mut input = message;
        let decrypted = crate::decrypt::decrypt_stream(
            self,
            cmm,
            options,
            &mut input,
            &mut out,
            true,
            Some(message.len() as u64),
        )?;
        Ok((out, decrypted))
    }

    /// Encrypts everything `input` yields into `output`, holding a batch of about 128 KiB
    /// of frames (or one frame, if larger) in memory, eight with
    /// [`Self::parallel_frames`].
    pub fn encrypt_stream<R: Read, W: Write>(
        &self,
        cmm: &dyn CryptographicMaterialsManager,
        options: &EncryptOptions,
        mut input: R,
        mut output: W,
    ) -> Result<MessageHeader, Error> {
        crate::encrypt::encrypt_stream(self, cmm, options, &mut input, &mut output)
    }

    /// Decrypts one message from `input` into `output`, holding a batch of about 128 KiB
    /// of frames (or one frame, if larger) in memory, eight with [`Self::parallel_frames`];
    /// a non-framed body is held whole.
    ///
    /// `input` needs no `BufReader`: the small fields are read through a buffer of
    /// `decrypt_stream`'s own, and batches of frames are read straight into the batch,
    /// where a `BufReader` smaller than a batch would be bypassed and a larger one would
    /// copy every byte once more. The whole message is consumed, and bytes after it are
    /// refused.
    ///
    /// Plaintext is written a batch of frames at a time, once every tag in the batch
    /// verifies. For a signed
    /// suite the message is authentic only once the footer signature verifies, so the
    /// last frame is held back until then, and **only an `Ok` return means the bytes
    /// written are authentic**: on `Err`, discard everything written (the CLI writes to
    /// a temporary file and renames it only on success). Set
    /// [`DecryptOptions::unsigned_only`] to refuse signed messages outright.
    pub fn decrypt_stream<R: Read, W: Write>(
        &self,
        cmm: &dyn CryptographicMaterialsManager,
        options: &DecryptOptions,
        mut input: R,
        mut output: W,
    ) -> Result<DecryptedMessage, Error> {
        crate::decrypt::decrypt_stream(self, cmm, options, &mut input, &mut output, true, None)
    }
}
