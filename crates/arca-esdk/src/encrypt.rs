//! The encryption engine: header, frames and footer, streamed.

use std::io::{Read, Write};

use arca_crypto::aead::AesGcmKey;

use crate::Error;
use crate::body::{FINAL_FRAME_MARKER, FrameAad, Segment, frame_iv};
use crate::client::{Client, EncryptOptions};
use crate::cmm::CryptographicMaterialsManager;
use crate::context::EncryptionContext;
use crate::digesting::Digest;
use crate::header::{ContentType, IV_LEN, MessageHeader, TAG_LEN};
use crate::materials::EncryptionMaterialsRequest;
use crate::pipeline::{self, Filled, Stages};

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
        // Signed suites already hash on the second core.
        let parallel = client.parallel_frames && !suite.is_signed();
        write_frames(
            &mut writer,
            &content_key,
            &header,
            &mut counted,
            parallel,
            options.plaintext_length,
        )?;
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

/// Layout of a regular frame: sequence number, IV, content, tag.
const PREFIX: usize = 4 + IV_LEN;
/// A frame's content is read into its buffer in steps of at most this many bytes, the
/// buffer growing only as bytes arrive (frames may be as long as 4 GiB).
const READ_STEP: usize = 1 << 20;

/// A run of frames being encrypted, laid out as they are written: sequence number, IV,
/// content and tag per slot, so that sealing in place leaves the output ready to write.
#[derive(Default)]
struct Batch {
    slab: Vec<u8>,
    /// The sequence number of the first slot.
    first: u32,
    /// Regular (full) frames in the leading slots.
    regular: usize,
    /// The slot after them holds the final frame, this long.
    final_len: Option<usize>,
}

/// Reads plaintext into batches and writes sealed ones.
struct FrameStages<'a, 'w, 'scope, R: Read, W: Write> {
    input: &'a mut R,
    writer: &'a mut MessageWriter<'w, 'scope, W>,
    frame_length: usize,
    slot: usize,
    per_batch: usize,
    /// Bytes to reserve for a batch: a whole batch, or less when the plaintext length
    /// says the message is short.
    batch_capacity: usize,
    next_sequence: u32,
    /// A byte read past a full batch to learn whether the input goes on; it starts the
    /// next frame.
    peeked: Option<u8>,
}

impl<R: Read, W: Write> FrameStages<'_, '_, '_, R, W> {
    /// Reads up to a frame of content into the slot at `offset`; returns its length.
    fn read_frame(&mut self, slab: &mut Vec<u8>, offset: usize) -> Result<usize, Error> {
        let start = offset + PREFIX;
        let mut got = 0;
        if let Some(byte) = self.peeked.take() {
            ensure_len(slab, start + 1);
            *slab.get_mut(start).ok_or(Error::Crypto)? = byte;
            got = 1;
        }
        while got < self.frame_length {
            let end = start + got + (self.frame_length - got).min(READ_STEP);
            ensure_len(slab, end);
            let target = slab.get_mut(start + got..end).ok_or(Error::Crypto)?;
            let wanted = target.len();
            let read = read_full(self.input, target)?;
            got += read;
            if read < wanted {
                break;
            }
        }
        ensure_len(slab, start + got + TAG_LEN);
        Ok(got)
    }
}

impl<R: Read, W: Write> Stages<Batch> for FrameStages<'_, '_, '_, R, W> {
    fn fill(&mut self, batch: &mut Batch) -> Result<Filled, Error> {
        batch.first = self.next_sequence;
        batch.regular = 0;
        batch.final_len = None;
        if batch.slab.capacity() < self.batch_capacity {
            batch.slab.reserve(self.batch_capacity.saturating_sub(batch.slab.len()));
        }
        for index in 0..self.per_batch {
            let got = self.read_frame(&mut batch.slab, index * self.slot)?;
            if got == self.frame_length {
                batch.regular += 1;
                continue;
            }
            // The input ended. If it ended right after a full frame, that frame is the
            // final one (an empty final frame only for an empty message).
            if got == 0 && batch.regular > 0 {
                batch.regular -= 1;
                batch.final_len = Some(self.frame_length);
            } else {
                batch.final_len = Some(got);
            }
            self.advance(batch)?;
            return Ok(Filled::Last);
        }
        let mut byte = [0u8; 1];
        if read_full(self.input, &mut byte)? == 0 {
            batch.regular = batch.regular.saturating_sub(1);
            batch.final_len = Some(self.frame_length);
            self.advance(batch)?;
            return Ok(Filled::Last);
        }
        self.peeked = Some(byte[0]);
        self.advance(batch)?;
        Ok(Filled::More)
    }

    fn drain(&mut self, batch: &mut Batch) -> Result<(), Error> {
        let regular_end = batch.regular * self.slot;
        self.writer.write(batch.slab.get(..regular_end).ok_or(Error::Crypto)?)?;
        if let Some(len) = batch.final_len {
            let sequence_number = final_sequence_number(batch)?;
            let mut prefix = [0u8; 8 + IV_LEN + 4];
            let (marker_field, rest) = prefix.split_at_mut(4);
            let (sequence_field, rest) = rest.split_at_mut(4);
            let (iv_field, length_field) = rest.split_at_mut(IV_LEN);
            marker_field.copy_from_slice(&FINAL_FRAME_MARKER.to_be_bytes());
            sequence_field.copy_from_slice(&sequence_number.to_be_bytes());
            iv_field.copy_from_slice(&frame_iv(sequence_number));
            let len_field = u32::try_from(len).map_err(|_| Error::Crypto)?;
            length_field.copy_from_slice(&len_field.to_be_bytes());
            self.writer.write(&prefix)?;
            let start = regular_end + PREFIX;
            self.writer
                .write(batch.slab.get(start..start + len + TAG_LEN).ok_or(Error::Crypto)?)?;
        }
        Ok(())
    }
}

impl<R: Read, W: Write> FrameStages<'_, '_, '_, R, W> {
    /// Moves the sequence number past `batch`. The last frame may be numbered at most
    /// `FINAL_FRAME_MARKER - 1`, so the next number may reach the marker but not pass it,
    /// which is exactly what the `u32` addition refuses.
    fn advance(&mut self, batch: &Batch) -> Result<(), Error> {
        let frames = batch.regular + usize::from(batch.final_len.is_some());
        self.next_sequence = u32::try_from(frames)
            .ok()
            .and_then(|frames| self.next_sequence.checked_add(frames))
            .ok_or_else(|| {
                Error::InvalidArgument(
                    "the plaintext needs more frames than the format allows".into(),
                )
            })?;
        Ok(())
    }
}

/// Grows `buffer` to at least `len` bytes (never shrinks it, so a reused batch is zeroed
/// only the first time).
fn ensure_len(buffer: &mut Vec<u8>, len: usize) {
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
}

fn final_sequence_number(batch: &Batch) -> Result<u32, Error> {
    u32::try_from(batch.regular)
        .ok()
        .and_then(|regular| batch.first.checked_add(regular))
        .ok_or(Error::Crypto)
}

/// Writes the body: batches of frames read, sealed in place (on two threads when
/// `parallel` and the body is long) and written in order, then the final frame.
fn write_frames<R: Read, W: Write>(
    writer: &mut MessageWriter<'_, '_, W>,
    key: &AesGcmKey,
    header: &MessageHeader,
    input: &mut R,
    parallel: bool,
    plaintext_length: Option<u64>,
) -> Result<(), Error> {
    let frame_length = usize::try_from(header.frame_length)
        .map_err(|_| Error::InvalidArgument("frame length too large".into()))?;
    let slot = PREFIX + frame_length + TAG_LEN;
    let per_batch = pipeline::frames_per_batch(slot);
    // A short message reserves only what it needs; a long or unknown one a whole batch
    // (and a frame longer than a read step grows as it is read).
    let expected_frames = plaintext_length
        .map(|len| len / header.frame_length.max(1) as u64 + 1)
        .and_then(|frames| usize::try_from(frames).ok())
        .unwrap_or(per_batch)
        .min(per_batch);
    let batch_capacity = expected_frames
        .saturating_mul(slot)
        .min(pipeline::BATCH_BYTES.max(READ_STEP) + slot.min(READ_STEP));
    let parallel = pipeline::worth_two_threads(parallel, frame_length);
    let buffers = if parallel { pipeline::PARALLEL_BUFFERS } else { 1 };
    let mut stages = FrameStages {
        input,
        writer,
        frame_length,
        slot,
        per_batch,
        batch_capacity,
        next_sequence: 1,
        peeked: None,
    };
    let regular_aad = FrameAad::new(&header.message_id, Segment::Frame).ok_or(Error::Crypto)?;
    let final_aad = FrameAad::new(&header.message_id, Segment::FinalFrame).ok_or(Error::Crypto)?;
    let seal =
        |batch: &mut Batch| seal_batch(batch, key, slot, frame_length, &regular_aad, &final_aad);
    let batches = (0..buffers).map(|_| Batch::default()).collect();
    pipeline::run(batches, &mut stages, &seal, parallel)
}

/// Seals every frame of `batch` in place, filling in sequence numbers, IVs and tags.
fn seal_batch(
    batch: &mut Batch,
    key: &AesGcmKey,
    slot: usize,
    frame_length: usize,
    regular_aad: &FrameAad,
    final_aad: &FrameAad,
) -> Result<(), Error> {
    let mut aad = regular_aad.clone();
    let mut sequence_number = batch.first;
    let regular_end = (batch.regular * slot).min(batch.slab.len());
    let (regular, rest) = batch.slab.split_at_mut(regular_end);
    for frame in regular.chunks_exact_mut(slot) {
        let iv = frame_iv(sequence_number);
        let (prefix, rest) = frame.split_at_mut(PREFIX);
        let (content, tag_space) = rest.split_at_mut(frame_length);
        let (sequence_field, iv_field) = prefix.split_at_mut(4);
        sequence_field.copy_from_slice(&sequence_number.to_be_bytes());
        iv_field.copy_from_slice(&iv);
        let tag =
            key.seal_in_place(&iv, aad.with(sequence_number, frame_length as u64), content)?;
        tag_space.copy_from_slice(&tag);
        sequence_number = sequence_number.wrapping_add(1);
    }
    if let Some(len) = batch.final_len {
        let mut aad = final_aad.clone();
        let frame = rest.get_mut(PREFIX..PREFIX + len + TAG_LEN).ok_or(Error::Crypto)?;
        let (content, tag_space) = frame.split_at_mut(len);
        let tag = key.seal_in_place(
            &frame_iv(sequence_number),
            aad.with(sequence_number, len as u64),
            content,
        )?;
        tag_space.copy_from_slice(&tag);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use arca_crypto::SecretBytes;

    use crate::keyring::RawAesKeyring;
    use crate::pipeline::{PARALLEL_BUFFERS, frames_per_batch};
    use crate::{AlgorithmSuite, Client, DecryptOptions, DefaultCmm, EncryptOptions};

    use super::{PREFIX, TAG_LEN};

    fn cmm() -> DefaultCmm {
        DefaultCmm::from_keyring(
            RawAesKeyring::new("ns", "k", SecretBytes::new(vec![7u8; 32])).unwrap(),
        )
    }

    /// Encrypts `len` bytes (streamed, with or without the length declared), checks the
    /// final frame's place and length, and decrypts with and without the helper thread.
    fn check(len: usize, frame_length: u32, parallel: bool, declared: bool) {
        let cmm = cmm();
        let plaintext: Vec<u8> = (0..len as u32).map(|i| (i % 251) as u8).collect();
        let options = EncryptOptions {
            suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
            frame_length,
            plaintext_length: declared.then_some(len as u64),
            ..Default::default()
        };
        let client = Client { parallel_frames: parallel, ..Client::default() };
        let mut message = Vec::new();
        client.encrypt_stream(&cmm, &options, &plaintext[..], &mut message).unwrap();

        // An exact multiple of the frame length ends in a full final frame; only an
        // empty message has an empty one.
        let frame = frame_length as usize;
        let final_len = if len == 0 { 0 } else { len - (len - 1) / frame * frame };
        let final_start = message.len() - (8 + 12 + 4 + final_len + TAG_LEN);
        let final_header = &message[final_start..final_start + 24];
        assert_eq!(final_header[..4], [0xFF; 4], "len {len} frame {frame_length}");
        let frames = len.div_ceil(frame).max(1) as u32;
        assert_eq!(final_header[4..8], frames.to_be_bytes());
        assert_eq!(final_header[20..24], (final_len as u32).to_be_bytes());

        for parallel in [false, true] {
            let client = Client { parallel_frames: parallel, ..Client::default() };
            let mut decrypted = Vec::new();
            client
                .decrypt_stream(&cmm, &DecryptOptions::default(), &message[..], &mut decrypted)
                .unwrap();
            assert!(decrypted == plaintext, "len {len} frame {frame_length} parallel {parallel}");
        }
    }

    #[test]
    fn frame_counts_around_batch_boundaries_round_trip() {
        for frame_length in [4096u32, 100] {
            let per_batch = frames_per_batch(PREFIX + frame_length as usize + TAG_LEN);
            let batch = per_batch * frame_length as usize;
            // Below, at and past the point where the helper thread starts.
            for batches in [0, 1, PARALLEL_BUFFERS, PARALLEL_BUFFERS + 1, 2 * PARALLEL_BUFFERS + 1]
            {
                for delta in [-1isize, 0, 1, frame_length as isize + 3] {
                    let Some(len) = (batches * batch).checked_add_signed(delta) else {
                        continue;
                    };
                    for parallel in [false, true] {
                        check(len, frame_length, parallel, parallel);
                        check(len, frame_length, parallel, !parallel);
                    }
                }
            }
        }
    }

    #[test]
    fn short_and_odd_messages_round_trip() {
        for (len, frame_length) in [(0, 4096), (1, 4096), (4095, 4096), (4097, 4096), (10, 1)] {
            for parallel in [false, true] {
                check(len, frame_length, parallel, true);
            }
        }
    }

    #[test]
    fn a_longer_input_than_declared_is_refused() {
        let options = EncryptOptions {
            suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
            plaintext_length: Some(1 << 20),
            ..Default::default()
        };
        let client = Client { parallel_frames: true, ..Client::default() };
        let plaintext = vec![0u8; (1 << 20) + 1];
        let result = client.encrypt_stream(&cmm(), &options, &plaintext[..], std::io::sink());
        assert!(result.is_err());
    }
}
