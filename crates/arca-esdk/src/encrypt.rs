//! The encryption engine: header, frames and footer, streamed.

use std::io::{Read, Write};

use arca_crypto::aead::AesGcmKey;

use crate::Error;
use crate::body::{FINAL_FRAME_MARKER, Segment, body_aad, frame_iv};
use crate::client::{Client, EncryptOptions};
use crate::cmm::CryptographicMaterialsManager;
use crate::context::EncryptionContext;
use crate::digesting::Digest;
use crate::header::{ContentType, IV_LEN, MessageHeader, TAG_LEN};
use crate::materials::EncryptionMaterialsRequest;

/// Writes message bytes, feeding them to the signature hash when the suite signs.
struct MessageWriter<'w, 'scope, W: Write> {
    output: &'w mut W,
    digest: Digest<'scope>,
}

impl<W: Write> MessageWriter<'_, '_, W> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.digest.update(bytes)?;
        self.output.write_all(bytes)?;
        Ok(())
    }
}

/// Counts plaintext bytes and refuses more than the declared length.
struct Counted<'r, R: Read> {
    input: &'r mut R,
    limit: Option<u64>,
    read: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buf)?;
        self.read += n as u64;
        if let Some(limit) = self.limit
            && self.read > limit
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the plaintext is longer than its declared length",
            ));
        }
        Ok(n)
    }
}

/// Fills `buffer` from `input` until it is full or the input ends; returns the count.
pub(crate) fn read_full<R: Read + ?Sized>(
    input: &mut R,
    buffer: &mut [u8],
) -> std::io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buffer.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match input.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

pub(crate) fn encrypt_stream<R: Read, W: Write>(
    client: &Client,
    cmm: &dyn CryptographicMaterialsManager,
    options: &EncryptOptions,
    input: &mut R,
    output: &mut W,
) -> Result<MessageHeader, Error> {
    if options.frame_length == 0 {
        return Err(Error::InvalidArgument("frame length must be at least 1".into()));
    }
    if let Some(suite) = options.suite
        && !client.commitment_policy.allows_encrypt(suite)
    {
        return Err(Error::CommitmentPolicy(format!(
            "{suite} is not allowed to encrypt under this commitment policy"
        )));
    }
    let materials = cmm.get_encryption_materials(EncryptionMaterialsRequest {
        encryption_context: options.encryption_context.clone(),
        suite: options.suite,
        commitment_policy: client.commitment_policy,
        plaintext_length: options.plaintext_length,
    })?;
    let suite = materials.suite;
    if !client.commitment_policy.allows_encrypt(suite) {
        return Err(Error::CommitmentPolicy(format!(
            "the materials manager chose {suite}, which this commitment policy forbids"
        )));
    }
    if let Some(requested) = options.suite
        && requested != suite
    {
        return Err(Error::EncryptionMaterials(
            "the materials manager changed the requested suite".into(),
        ));
    }
    if let Some(max) = client.max_encrypted_data_keys
        && materials.encrypted_data_keys.len() > usize::from(max)
    {
        return Err(Error::EncryptionMaterials(format!(
            "{} encrypted data keys exceed the maximum of {max}",
            materials.encrypted_data_keys.len()
        )));
    }
    if suite.is_signed() != materials.signing_key.is_some() {
        return Err(Error::EncryptionMaterials("signing key does not match the suite".into()));
    }
    let data_key = materials
        .plaintext_data_key
        .as_ref()
        .ok_or_else(|| Error::EncryptionMaterials("no data key".into()))?;
    let message_id = arca_crypto::random::bytes(suite.message_format_version().message_id_len());
    let (content_key, commitment) = suite
        .derive_keys(data_key, &message_id)
        .map_err(|_| Error::EncryptionMaterials("the data key does not fit the suite".into()))?;

    let mut stored_context = materials.encryption_context.clone();
    let mut required_context = EncryptionContext::new();
    for key in &materials.required_encryption_context_keys {
        if let Some(value) = stored_context.remove(key) {
            required_context.insert(key.clone(), value);
        }
    }
    let mut header = MessageHeader {
        suite,
        message_id,
        encryption_context: stored_context,
        encrypted_data_keys: materials.encrypted_data_keys.clone(),
        content_type: ContentType::Framed,
        frame_length: options.frame_length,
        suite_data: commitment.as_ref().map(|key| key.expose_secret().to_vec()).unwrap_or_default(),
        header_iv: [0u8; IV_LEN],
        auth_tag: [0u8; TAG_LEN],
    };
    let authenticated = header.serialize_authenticated_part()?;
    let mut aad = authenticated.clone();
    aad.extend_from_slice(&required_context.serialize()?);
    header.auth_tag = content_key.seal_in_place(&header.auth_iv(), &aad, &mut [])?;

    std::thread::scope(|scope| {
        let mut writer = MessageWriter {
            output: &mut *output,
            digest: Digest::start(suite.signing(), scope, options.plaintext_length),
        };
        writer.write(&authenticated)?;
        writer.write(&header.serialize_auth())?;
        let mut counted = Counted { input, limit: options.plaintext_length, read: 0 };
        let parallel = client.parallel_frames
            && !suite.is_signed()
            && options
                .plaintext_length
                .is_none_or(|len| len >= crate::digesting::PARALLEL_THRESHOLD)
            && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        write_frames(&mut writer, &content_key, &header, &mut counted, parallel)?;
        let MessageWriter { output, digest } = writer;
        if let (Some(hasher), Some(signing_key)) = (digest.finish()?, &materials.signing_key) {
            let signature = signing_key.sign(hasher)?;
            let len = u16::try_from(signature.len()).map_err(|_| Error::Crypto)?;
            output.write_all(&len.to_be_bytes())?;
            output.write_all(&signature)?;
        }
        output.flush()?;
        Ok(header)
    })
}

/// Plaintext per batch of frames read, sealed and written together.
const BATCH_BYTES: usize = 1 << 20;
/// Layout of a regular frame: sequence number, IV, content, tag.
const PREFIX: usize = 4 + IV_LEN;

/// A run of frame slots read from the input.
struct Batch {
    slab: Vec<u8>,
    /// Frames holding plaintext.
    count: usize,
    /// Plaintext bytes in the last of them.
    last_len: usize,
}

impl Batch {
    fn new(slot: usize, frames: usize) -> Self {
        Self { slab: vec![0u8; slot * frames], count: 0, last_len: 0 }
    }

    /// Fills slots until the batch is full or the input ends.
    fn fill<R: Read>(
        &mut self,
        input: &mut R,
        frame_length: usize,
        slot: usize,
    ) -> Result<(), Error> {
        self.count = 0;
        self.last_len = 0;
        for frame in self.slab.chunks_exact_mut(slot) {
            let content = frame.get_mut(PREFIX..PREFIX + frame_length).ok_or(Error::Crypto)?;
            let got = read_full(input, content)?;
            if got == 0 {
                break;
            }
            self.count += 1;
            self.last_len = got;
            if got < frame_length {
                break;
            }
        }
        Ok(())
    }
}

/// Writes the body: batches of regular frames (sealed on two cores when `parallel`),
/// then the final frame, holding at most two batches of plaintext.
fn write_frames<R: Read, W: Write>(
    writer: &mut MessageWriter<'_, '_, W>,
    key: &AesGcmKey,
    header: &MessageHeader,
    input: &mut R,
    parallel: bool,
) -> Result<(), Error> {
    let frame_length = usize::try_from(header.frame_length)
        .map_err(|_| Error::InvalidArgument("frame length too large".into()))?;
    let slot = PREFIX + frame_length + TAG_LEN;
    let frames_per_batch = (BATCH_BYTES / slot).max(1);
    let mut current = Batch::new(slot, frames_per_batch);
    let mut next = Batch::new(slot, frames_per_batch);
    current.fill(input, frame_length, slot)?;
    let mut sequence_number: u32 = 1;
    loop {
        let full = current.count == frames_per_batch && current.last_len == frame_length;
        if full {
            next.fill(input, frame_length, slot)?;
        } else {
            next.count = 0;
        }
        let last_batch = next.count == 0;
        let regular = if last_batch { current.count.saturating_sub(1) } else { current.count };
        let (sealed, rest) = current.slab.split_at_mut(regular * slot);
        seal_regular_frames(sealed, slot, frame_length, key, header, sequence_number, parallel)?;
        writer.write(sealed)?;
        sequence_number = u32::try_from(regular)
            .ok()
            .and_then(|regular| sequence_number.checked_add(regular))
            .filter(|n| *n != FINAL_FRAME_MARKER)
            .ok_or_else(|| {
                Error::InvalidArgument(
                    "the plaintext needs more frames than the format allows".into(),
                )
            })?;
        if last_batch {
            let final_len = if current.count == 0 { 0 } else { current.last_len };
            return write_final_frame(writer, key, header, sequence_number, rest, final_len);
        }
        std::mem::swap(&mut current, &mut next);
    }
}

/// Seals full frames in place (numbered from `first`), splitting the work over two
/// threads when asked and worthwhile.
fn seal_regular_frames(
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
            .ok_or(Error::Crypto)?;
        return std::thread::scope(|scope| {
            let helper = scope.spawn(|| {
                seal_regular_frames(right, slot, frame_length, key, header, second, false)
            });
            let mine = seal_regular_frames(left, slot, frame_length, key, header, first, false);
            let theirs = helper.join().map_err(|_| Error::Crypto)?;
            mine.and(theirs)
        });
    }
    let mut aad = Vec::with_capacity(header.message_id.len() + 48);
    for (index, frame) in frames.chunks_exact_mut(slot).enumerate() {
        let sequence_number = u32::try_from(index)
            .ok()
            .and_then(|index| first.checked_add(index))
            .filter(|n| *n != FINAL_FRAME_MARKER)
            .ok_or_else(|| {
                Error::InvalidArgument(
                    "the plaintext needs more frames than the format allows".into(),
                )
            })?;
        let iv = frame_iv(sequence_number);
        aad.clear();
        aad.extend_from_slice(&body_aad(
            &header.message_id,
            Segment::Frame,
            sequence_number,
            frame_length as u64,
        ));
        let (prefix, rest) = frame.split_at_mut(PREFIX);
        let (content, tag_space) = rest.split_at_mut(frame_length);
        let (sequence_field, iv_field) = prefix.split_at_mut(4);
        sequence_field.copy_from_slice(&sequence_number.to_be_bytes());
        iv_field.copy_from_slice(&iv);
        let tag = key.seal_in_place(&iv, &aad, content)?;
        tag_space.copy_from_slice(&tag);
    }
    Ok(())
}

fn write_final_frame<W: Write>(
    writer: &mut MessageWriter<'_, '_, W>,
    key: &AesGcmKey,
    header: &MessageHeader,
    sequence_number: u32,
    frame: &mut [u8],
    len: usize,
) -> Result<(), Error> {
    let iv = frame_iv(sequence_number);
    let aad = body_aad(&header.message_id, Segment::FinalFrame, sequence_number, len as u64);
    let content = frame.get_mut(PREFIX..PREFIX + len).ok_or(Error::Crypto)?;
    let tag = key.seal_in_place(&iv, &aad, content)?;
    let mut prefix = Vec::with_capacity(24);
    prefix.extend_from_slice(&FINAL_FRAME_MARKER.to_be_bytes());
    prefix.extend_from_slice(&sequence_number.to_be_bytes());
    prefix.extend_from_slice(&iv);
    prefix.extend_from_slice(&(len as u32).to_be_bytes());
    writer.write(&prefix)?;
    writer.write(content)?;
    writer.write(&tag)?;
    Ok(())
}
