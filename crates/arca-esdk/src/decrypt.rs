//! The decryption engine: header checks, frames, footer signature, streamed.

use std::io::{Read, Write};

use arca_crypto::aead::AesGcmKey;
use arca_crypto::ct_eq;

use crate::Error;
use crate::body::{FINAL_FRAME_MARKER, FrameAad, MAX_NON_FRAMED_LEN, Segment};
use crate::client::{Client, DecryptOptions, DecryptedMessage};
use crate::cmm::CryptographicMaterialsManager;
use crate::context::EncryptionContext;
use crate::digesting::Digest;
use crate::error::{ReadFailure, Reject};
use crate::header::{ContentType, HeaderLimits, IV_LEN, MessageHeader, TAG_LEN, read_header};
use crate::materials::DecryptMaterialsRequest;
use crate::pipeline::{self, Filled, Stages};

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

    /// Reads exactly `len` bytes into `buffer` at `start`, growing the buffer (never
    /// shrinking it) only as bytes arrive, a step of at most 1 MiB at a time.
    fn read_growing(
        &mut self,
        buffer: &mut Vec<u8>,
        start: usize,
        len: usize,
    ) -> Result<(), ReadFailure> {
        const STEP: usize = 1 << 20;
        let end = start.checked_add(len).ok_or(Reject("frame too long"))?;
        let mut position = start;
        while position < end {
            let step_end = end.min(position.saturating_add(STEP).max(buffer.len()));
            if buffer.len() < step_end {
                buffer.resize(step_end, 0);
            }
            let target = buffer.get_mut(position..step_end).ok_or(Reject("frame too long"))?;
            self.input.read_exact(target)?;
            self.digest.update(target).map_err(|_| Reject("hashing failed"))?;
            position = step_end;
        }
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
                // Signed suites already hash on the second core.
                let parallel = client.parallel_frames && !suite.is_signed();
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

/// A run of regular frames being decrypted: their ciphertexts back to back (so that,
/// opened in place, they become one run of plaintext to write), and their IVs and tags.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    ivs: Vec<[u8; IV_LEN]>,
    tags: Vec<[u8; TAG_LEN]>,
    /// The sequence number of the first frame.
    first: u32,
}

/// Reads regular frames into batches and writes the opened ones.
struct FrameStages<'a, 'r, 'scope, R: Read, W: Write> {
    reader: &'a mut MessageReader<'r, 'scope, R>,
    output: &'a mut W,
    frame_length: usize,
    per_batch: usize,
    /// The sequence number the next frame must carry.
    expected: u32,
    /// Once the final frame's marker has been read: the 12 header bytes read after it
    /// (its sequence number and the first 8 bytes of its IV).
    final_head: Option<[u8; IV_LEN]>,
}

impl<R: Read, W: Write> Stages<Batch> for FrameStages<'_, '_, '_, R, W> {
    fn fill(&mut self, batch: &mut Batch) -> Result<Filled, Error> {
        batch.ivs.clear();
        batch.tags.clear();
        batch.first = self.expected;
        for index in 0..self.per_batch {
            // Sequence number and IV in one read; if this is the final frame's marker
            // instead, the 12 bytes are the start of the final frame's header (24 bytes
            // long, so the read never passes the message).
            let head = self.reader.array::<{ 4 + IV_LEN }>()?;
            let (sequence_field, rest) =
                head.split_first_chunk::<4>().ok_or(Error::DecryptionFailed)?;
            let rest: [u8; IV_LEN] = rest.try_into().map_err(|_| Error::DecryptionFailed)?;
            let sequence_number = u32::from_be_bytes(*sequence_field);
            if sequence_number == FINAL_FRAME_MARKER {
                self.final_head = Some(rest);
                return Ok(if index == 0 { Filled::Empty } else { Filled::Last });
            }
            if sequence_number != self.expected {
                return Err(Error::DecryptionFailed);
            }
            batch.ivs.push(rest);
            self.reader.read_growing(
                &mut batch.data,
                index * self.frame_length,
                self.frame_length,
            )?;
            batch.tags.push(self.reader.array::<TAG_LEN>()?);
            self.expected = self
                .expected
                .checked_add(1)
                .filter(|n| *n != FINAL_FRAME_MARKER)
                .ok_or(Error::DecryptionFailed)?;
        }
        Ok(Filled::More)
    }

    fn drain(&mut self, batch: &mut Batch) -> Result<(), Error> {
        let len = batch.ivs.len() * self.frame_length;
        self.output.write_all(batch.data.get(..len).ok_or(Error::DecryptionFailed)?)?;
        Ok(())
    }
}

/// Opens every frame of `batch` in place; any failing tag fails the whole batch.
fn open_batch(
    batch: &mut Batch,
    key: &AesGcmKey,
    frame_length: usize,
    regular_aad: &FrameAad,
) -> Result<(), Error> {
    let mut aad = regular_aad.clone();
    let mut sequence_number = batch.first;
    let frames = batch.data.chunks_exact_mut(frame_length.max(1));
    for ((ciphertext, iv), tag) in frames.zip(&batch.ivs).zip(&batch.tags) {
        key.open_in_place_separate_tag(
            iv,
            aad.with(sequence_number, frame_length as u64),
            tag,
            ciphertext,
        )
        .map_err(|_| Error::DecryptionFailed)?;
        sequence_number = sequence_number.wrapping_add(1);
    }
    Ok(())
}

/// Decrypts every frame, writing the regular ones a batch at a time once all of the
/// batch's tags verify (opened on two threads when `parallel` and the body is long);
/// returns the final frame's plaintext, which the caller releases once the message is
/// fully verified.
fn read_frames<R: Read, W: Write>(
    reader: &mut MessageReader<'_, '_, R>,
    key: &AesGcmKey,
    header: &MessageHeader,
    output: &mut W,
    parallel: bool,
) -> Result<Vec<u8>, Error> {
    let frame_length = usize::try_from(header.frame_length).map_err(|_| Error::DecryptionFailed)?;
    let regular_aad =
        FrameAad::new(&header.message_id, Segment::Frame).ok_or(Error::DecryptionFailed)?;
    let parallel = pipeline::worth_two_threads(parallel, frame_length);
    let buffers = if parallel { pipeline::PARALLEL_BUFFERS } else { 1 };
    let mut stages = FrameStages {
        reader: &mut *reader,
        output,
        frame_length,
        per_batch: pipeline::frames_per_batch(IV_LEN + frame_length + TAG_LEN),
        expected: 1,
        final_head: None,
    };
    let open_frames = |batch: &mut Batch| open_batch(batch, key, frame_length, &regular_aad);
    let batches = (0..buffers).map(|_| Batch::default()).collect();
    pipeline::run(batches, &mut stages, &open_frames, parallel)?;
    let expected = stages.expected;
    let final_head = stages.final_head.ok_or(Error::DecryptionFailed)?;
    let (sequence_field, iv_start) =
        final_head.split_first_chunk::<4>().ok_or(Error::DecryptionFailed)?;
    if u32::from_be_bytes(*sequence_field) != expected {
        return Err(Error::DecryptionFailed);
    }
    let iv_end = reader.array::<4>()?;
    let iv: [u8; IV_LEN] =
        [iv_start, &iv_end[..]].concat().try_into().map_err(|_| Error::DecryptionFailed)?;
    let len = reader.u32()?;
    if len > header.frame_length {
        return Err(Error::DecryptionFailed);
    }
    let len = usize::try_from(len).map_err(|_| Error::DecryptionFailed)?;
    let mut buffer = Vec::new();
    reader.read_into(&mut buffer, len + TAG_LEN)?;
    let mut aad =
        FrameAad::new(&header.message_id, Segment::FinalFrame).ok_or(Error::DecryptionFailed)?;
    let plain_len = open(key, &iv, aad.with(expected, len as u64), &mut buffer)?;
    buffer.truncate(plain_len);
    Ok(buffer)
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
    let mut aad =
        FrameAad::new(&header.message_id, Segment::SingleBlock).ok_or(Error::DecryptionFailed)?;
    let plain_len = open(key, &iv, aad.with(1, len), &mut buffer)?;
    buffer.truncate(plain_len);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use arca_crypto::SecretBytes;

    use crate::header::{IV_LEN, TAG_LEN};
    use crate::keyring::RawAesKeyring;
    use crate::pipeline::{PARALLEL_BUFFERS, frames_per_batch};
    use crate::{AlgorithmSuite, Client, DecryptOptions, DefaultCmm, EncryptOptions};

    const FRAME: usize = 4096;
    /// A regular frame on the wire: sequence number, IV, content, tag.
    const WIRE_FRAME: usize = 4 + IV_LEN + FRAME + TAG_LEN;

    struct Fixture {
        cmm: DefaultCmm,
        plaintext: Vec<u8>,
        message: Vec<u8>,
        /// Where the first regular frame starts.
        body_start: usize,
        /// Frames per decryption batch.
        per_batch: usize,
    }

    /// An unsigned message of `frames` full frames and a final frame of 100 bytes.
    fn fixture(frames: usize) -> Fixture {
        let cmm = DefaultCmm::from_keyring(
            RawAesKeyring::new("ns", "k", SecretBytes::new(vec![9u8; 32])).unwrap(),
        );
        let plaintext: Vec<u8> = (0..(frames * FRAME + 100) as u32).map(|i| i as u8).collect();
        let options = EncryptOptions {
            suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
            frame_length: FRAME as u32,
            ..Default::default()
        };
        let (message, _) = Client::default().encrypt(&cmm, &plaintext, &options).unwrap();
        let body_start = message.len() - frames * WIRE_FRAME - (24 + 100 + TAG_LEN);
        let per_batch = frames_per_batch(IV_LEN + FRAME + TAG_LEN);
        Fixture { cmm, plaintext, message, body_start, per_batch }
    }

    /// Decrypts `message` as a stream; returns whether it succeeded and what was written.
    fn stream(fixture: &Fixture, message: &[u8], parallel: bool) -> (bool, Vec<u8>) {
        let client = Client { parallel_frames: parallel, ..Client::default() };
        let mut out = Vec::new();
        let result =
            client.decrypt_stream(&fixture.cmm, &DecryptOptions::default(), message, &mut out);
        (result.is_ok(), out)
    }

    #[test]
    fn many_frames_decrypt_with_and_without_the_helper() {
        let frames = fixture(1).per_batch * (2 * PARALLEL_BUFFERS + 1) + 5;
        let fixture = fixture(frames);
        for parallel in [false, true] {
            let (ok, out) = stream(&fixture, &fixture.message, parallel);
            assert!(ok && out == fixture.plaintext);
        }
    }

    #[test]
    fn a_tampered_frame_releases_nothing_from_its_batch_on() {
        let per_batch = fixture(1).per_batch;
        let fixture = fixture(per_batch * (PARALLEL_BUFFERS + 3) + 7);
        // Frames at the start, middle and end of batches, early and late in the body.
        let targets = [0, per_batch / 2, per_batch * 2 - 1, per_batch * 3, per_batch * 5 + 9];
        for frame in targets {
            for (part, offset) in [("iv", 4), ("content", 4 + IV_LEN + 17), ("tag", WIRE_FRAME - 1)]
            {
                let mut tampered = fixture.message.clone();
                tampered[fixture.body_start + frame * WIRE_FRAME + offset] ^= 0x20;
                for parallel in [false, true] {
                    let (ok, out) = stream(&fixture, &tampered, parallel);
                    assert!(!ok, "frame {frame} {part}");
                    // Every batch before the tampered frame's is out; nothing after.
                    let released = frame / per_batch * per_batch * FRAME;
                    assert_eq!(out.len(), released, "frame {frame} {part} parallel {parallel}");
                    assert!(out == fixture.plaintext[..released]);
                }
            }
        }
    }

    #[test]
    fn reordered_or_missing_frames_are_refused() {
        let per_batch = fixture(1).per_batch;
        let frames = per_batch * (PARALLEL_BUFFERS + 1);
        let fixture = fixture(frames);
        let at = |frame: usize| fixture.body_start + frame * WIRE_FRAME;
        let mut swapped = fixture.message.clone();
        let (first, second) = (per_batch + 3, per_batch + 4);
        let copy = fixture.message[at(first)..at(first + 1)].to_vec();
        swapped.copy_within(at(second)..at(second + 1), at(first));
        swapped[at(second)..at(second + 1)].copy_from_slice(&copy);
        let mut dropped = fixture.message.clone();
        dropped.drain(at(per_batch * 2)..at(per_batch * 2 + 1));
        let truncated = &fixture.message[..at(per_batch * 3) + 100];
        for (name, message) in
            [("swapped", &swapped[..]), ("dropped", &dropped[..]), ("truncated", truncated)]
        {
            for parallel in [false, true] {
                let (ok, out) = stream(&fixture, message, parallel);
                assert!(!ok, "{name}");
                assert!(out.len() % (per_batch * FRAME) == 0, "{name}");
                assert!(out == fixture.plaintext[..out.len()], "{name}");
            }
        }
    }

    #[test]
    fn a_tampered_final_frame_releases_only_the_regular_frames() {
        let per_batch = fixture(1).per_batch;
        let frames = per_batch * PARALLEL_BUFFERS + 2;
        let fixture = fixture(frames);
        let mut tampered = fixture.message.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        for parallel in [false, true] {
            let (ok, out) = stream(&fixture, &tampered, parallel);
            assert!(!ok);
            assert!(out == fixture.plaintext[..frames * FRAME]);
        }
    }
}
