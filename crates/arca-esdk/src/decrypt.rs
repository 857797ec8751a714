//! The decryption engine: header checks, frames, footer signature, streamed.

use std::io::{Read, Write};

use arca_crypto::aead::AesGcmKey;
use arca_crypto::ct_eq;

use crate::Error;
use crate::body::{FINAL_FRAME_MARKER, MAX_NON_FRAMED_LEN, Segment, body_aad};
use crate::client::{Client, DecryptOptions, DecryptedMessage};
use crate::cmm::CryptographicMaterialsManager;
use crate::context::EncryptionContext;
use crate::digesting::Digest;
use crate::error::{ReadFailure, Reject};
use crate::header::{ContentType, HeaderLimits, IV_LEN, MessageHeader, TAG_LEN, read_header};
use crate::materials::DecryptMaterialsRequest;

/// Reads message bytes, feeding them to the signature hash when the suite signs.
struct MessageReader<'r, 'scope, R: Read> {
    input: &'r mut R,
    digest: Digest<'scope>,
}

impl<R: Read> MessageReader<'_, '_, R> {
    /// Reads exactly `len` bytes into `buffer` (replacing its content), growing the
    /// buffer only as bytes arrive so that a lying length field costs no memory.
    fn read_into(&mut self, buffer: &mut Vec<u8>, len: usize) -> Result<(), ReadFailure> {
        /// Up to this size (or the buffer's capacity) a field is read in one go.
        const EAGER: usize = 1 << 20;
        if len <= EAGER.max(buffer.capacity()) {
            buffer.resize(len, 0);
            self.input.read_exact(buffer)?;
        } else {
            buffer.clear();
            let read = (&mut *self.input).take(len as u64).read_to_end(buffer)?;
            if read != len {
                return Err(Reject("truncated message").into());
            }
        }
        self.digest.update(buffer).map_err(|_| Reject("hashing failed"))?;
        Ok(())
    }

    /// Reads exactly `target.len()` bytes.
    fn read_exact_into(&mut self, target: &mut [u8]) -> Result<(), ReadFailure> {
        self.input.read_exact(target)?;
        self.digest.update(target).map_err(|_| Reject("hashing failed"))?;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ReadFailure> {
        let mut out = [0u8; N];
        self.input.read_exact(&mut out)?;
        self.digest.update(&out).map_err(|_| Reject("hashing failed"))?;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, ReadFailure> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }

    fn u64(&mut self) -> Result<u64, ReadFailure> {
        Ok(u64::from_be_bytes(self.array::<8>()?))
    }
}

fn open(
    key: &AesGcmKey,
    iv: &[u8; IV_LEN],
    aad: &[u8],
    buffer: &mut [u8],
) -> Result<usize, ReadFailure> {
    key.open_in_place(iv, aad, buffer)
        .map(|plain| plain.len())
        .map_err(|_| Reject("authentication tag mismatch").into())
}

pub(crate) fn decrypt_stream<R: Read, W: Write>(
    client: &Client,
    cmm: &dyn CryptographicMaterialsManager,
    options: &DecryptOptions,
    input: &mut R,
    output: &mut W,
    refuse_trailing_bytes: bool,
    len_hint: Option<u64>,
) -> Result<DecryptedMessage, Error> {
    let (header, authenticated) = read_header(
        input,
        HeaderLimits { max_encrypted_data_keys: client.max_encrypted_data_keys },
    )?;
    let suite = header.suite;
    if options.unsigned_only && suite.is_signed() {
        return Err(Error::DecryptionFailed);
    }
    if !client.commitment_policy.allows_decrypt(suite) {
        return Err(Error::DecryptionFailed);
    }
    let materials = cmm
        .decrypt_materials(DecryptMaterialsRequest {
            suite,
            commitment_policy: client.commitment_policy,
            encrypted_data_keys: header.encrypted_data_keys.clone(),
            encryption_context: header.encryption_context.clone(),
            reproduced_encryption_context: options.encryption_context.clone(),
        })
        .map_err(|_| Error::DecryptionFailed)?;
    if materials.suite != suite || suite.is_signed() != materials.verification_key.is_some() {
        return Err(Error::DecryptionFailed);
    }
    for (key, value) in options.encryption_context.iter() {
        if materials.encryption_context.get(key) != Some(value) {
            return Err(Error::DecryptionFailed);
        }
    }
    let data_key = materials.plaintext_data_key.as_ref().ok_or(Error::DecryptionFailed)?;
    let (content_key, commitment) = suite.derive_keys(data_key, &header.message_id)?;
    if let Some(commitment) = &commitment
        && !ct_eq(commitment.expose_secret(), &header.suite_data)
    {
        return Err(Error::DecryptionFailed);
    }
    let mut required_context = EncryptionContext::new();
    for key in &materials.required_encryption_context_keys {
        if let Some(value) = materials.encryption_context.get(key) {
            required_context.insert(key.clone(), value);
        }
    }
    let mut aad = authenticated.clone();
    aad.extend_from_slice(&required_context.serialize().map_err(|_| Error::DecryptionFailed)?);
    let mut tag = header.auth_tag;
    content_key
        .open_in_place(&header.auth_iv(), &aad, &mut tag)
        .map_err(|_| Error::DecryptionFailed)?;

    std::thread::scope(|scope| {
        let mut reader = MessageReader {
            input: &mut *input,
            digest: Digest::start(suite.signing(), scope, len_hint),
        };
        reader.digest.update(&authenticated)?;
        reader.digest.update(&header.serialize_auth())?;
        let held = match header.content_type {
            ContentType::Framed => {
                let parallel = client.parallel_frames
                    && !suite.is_signed()
                    && len_hint.is_none_or(|len| len >= crate::digesting::PARALLEL_THRESHOLD)
                    && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
                read_frames(&mut reader, &content_key, &header, output, parallel)?
            }
            ContentType::NonFramed => read_single_block(&mut reader, &content_key, &header)?,
        };
        let MessageReader { input, digest } = reader;
        if let (Some(hasher), Some(verification_key)) =
            (digest.finish()?, &materials.verification_key)
        {
            let mut plain = MessageReader { input: &mut *input, digest: Digest::None };
            let len = u16::from_be_bytes(plain.array::<2>()?);
            let mut signature = Vec::new();
            plain.read_into(&mut signature, usize::from(len))?;
            verification_key.verify(hasher, &signature).map_err(|_| Error::DecryptionFailed)?;
        }
        if refuse_trailing_bytes {
            let mut probe = [0u8; 1];
            if crate::encrypt::read_full(input, &mut probe)? != 0 {
                return Err(Error::DecryptionFailed);
            }
        }
        output.write_all(&held)?;
        output.flush()?;
        Ok(DecryptedMessage { header, encryption_context: materials.encryption_context })
    })
}

/// Regular frames are read and opened in batches of about this many bytes.
const BATCH_BYTES: usize = 1 << 20;

/// Decrypts every frame, writing all but the last (a batch at a time, each frame only
/// after its tag verifies); returns the last frame's plaintext, which the caller releases
/// once the message is fully verified. With `parallel`, a batch's frames are opened on
/// two threads.
fn read_frames<R: Read, W: Write>(
    reader: &mut MessageReader<'_, '_, R>,
    key: &AesGcmKey,
    header: &MessageHeader,
    output: &mut W,
    parallel: bool,
) -> Result<Vec<u8>, Error> {
    let frame_length = usize::try_from(header.frame_length).map_err(|_| Error::DecryptionFailed)?;
    let slot = IV_LEN + frame_length + TAG_LEN;
    let per_batch = (BATCH_BYTES / slot).max(1);
    let mut slab: Vec<u8> = Vec::new();
    let mut buffer = Vec::new();
    let mut expected: u32 = 1;
    let mut batch_first: u32 = 1;
    loop {
        let first = reader.u32()?;
        if first == FINAL_FRAME_MARKER {
            open_and_write(
                &mut slab,
                slot,
                frame_length,
                key,
                header,
                batch_first,
                parallel,
                output,
            )?;
            if reader.u32()? != expected {
                return Err(Error::DecryptionFailed);
            }
            let iv = reader.array::<IV_LEN>()?;
            let len = reader.u32()?;
            if len > header.frame_length {
                return Err(Error::DecryptionFailed);
            }
            let len = usize::try_from(len).map_err(|_| Error::DecryptionFailed)?;
            reader.read_into(&mut buffer, len + TAG_LEN)?;
            let aad = body_aad(&header.message_id, Segment::FinalFrame, expected, len as u64);
            let plain_len = open(key, &iv, &aad, &mut buffer)?;
            buffer.truncate(plain_len);
            return Ok(buffer);
        }
        if first != expected {
            return Err(Error::DecryptionFailed);
        }
        if slot <= BATCH_BYTES {
            if slab.is_empty() {
                batch_first = expected;
            }
            let start = slab.len();
            slab.resize(start + slot, 0);
            reader.read_exact_into(slab.get_mut(start..).ok_or(Error::DecryptionFailed)?)?;
            if slab.len() >= per_batch * slot {
                open_and_write(
                    &mut slab,
                    slot,
                    frame_length,
                    key,
                    header,
                    batch_first,
                    parallel,
                    output,
                )?;
            }
        } else {
            // Frames larger than a batch: one at a time, the buffer growing as bytes arrive.
            let iv = reader.array::<IV_LEN>()?;
            reader.read_into(&mut buffer, frame_length + TAG_LEN)?;
            let aad = body_aad(&header.message_id, Segment::Frame, expected, frame_length as u64);
            let plain_len = open(key, &iv, &aad, &mut buffer)?;
            output.write_all(buffer.get(..plain_len).ok_or(Error::DecryptionFailed)?)?;
        }
        expected = expected
            .checked_add(1)
            .filter(|n| *n != FINAL_FRAME_MARKER)
            .ok_or(Error::DecryptionFailed)?;
    }
}

/// Opens the batched frames (IV, ciphertext and tag per slot), writes their plaintext in
/// order, and empties the batch.
#[allow(clippy::too_many_arguments)]
fn open_and_write<W: Write>(
    slab: &mut Vec<u8>,
    slot: usize,
    frame_length: usize,
    key: &AesGcmKey,
    header: &MessageHeader,
    first: u32,
    parallel: bool,
    output: &mut W,
) -> Result<(), Error> {
    if slab.is_empty() {
        return Ok(());
    }
    open_frames(slab, slot, frame_length, key, header, first, parallel)?;
    for frame in slab.chunks_exact(slot) {
        output
            .write_all(frame.get(IV_LEN..IV_LEN + frame_length).ok_or(Error::DecryptionFailed)?)?;
    }
    slab.clear();
    Ok(())
}

fn open_frames(
    frames: &mut [u8],
    slot: usize,
    frame_length: usize,
    key: &AesGcmKey,
    header: &MessageHeader,
    first: u32,
    parallel: bool,
) -> Result<(), Error> {
    let count = frames.len() / slot;
    if parallel && count >= 8 {
        let half = count / 2;
        let (left, right) = frames.split_at_mut(half * slot);
        let second = u32::try_from(half)
            .ok()
            .and_then(|half| first.checked_add(half))
            .ok_or(Error::DecryptionFailed)?;
        return std::thread::scope(|scope| {
            let helper =
                scope.spawn(|| open_frames(right, slot, frame_length, key, header, second, false));
            let mine = open_frames(left, slot, frame_length, key, header, first, false);
            let theirs = helper.join().map_err(|_| Error::DecryptionFailed)?;
            mine.and(theirs)
        });
    }
    for (index, frame) in frames.chunks_exact_mut(slot).enumerate() {
        let sequence_number = u32::try_from(index)
            .ok()
            .and_then(|index| first.checked_add(index))
            .ok_or(Error::DecryptionFailed)?;
        let (iv, sealed) = frame.split_at_mut(IV_LEN);
        let iv: [u8; IV_LEN] = (&*iv).try_into().map_err(|_| Error::DecryptionFailed)?;
        let aad =
            body_aad(&header.message_id, Segment::Frame, sequence_number, frame_length as u64);
        open(key, &iv, &aad, sealed)?;
    }
    Ok(())
}

/// Decrypts a non-framed body; its plaintext is returned whole.
fn read_single_block<R: Read>(
    reader: &mut MessageReader<'_, '_, R>,
    key: &AesGcmKey,
    header: &MessageHeader,
) -> Result<Vec<u8>, Error> {
    let iv = reader.array::<IV_LEN>()?;
    let len = reader.u64()?;
    if len > MAX_NON_FRAMED_LEN {
        return Err(Error::DecryptionFailed);
    }
    let content_len = usize::try_from(len).map_err(|_| Error::DecryptionFailed)?;
    let mut buffer = Vec::new();
    reader.read_into(&mut buffer, content_len + TAG_LEN)?;
    let aad = body_aad(&header.message_id, Segment::SingleBlock, 1, len);
    let plain_len = open(key, &iv, &aad, &mut buffer)?;
    buffer.truncate(plain_len);
    Ok(buffer)
}
