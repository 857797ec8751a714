//! The decryption engine: header checks, frames, footer signature, streamed.

use std::io::{self, IoSlice, Read, Write};

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
use crate::source::Source;

/// Reads message bytes, feeding them to the signature hash when the suite signs.
struct MessageReader<'r, 'scope, R: Read> {
    input: Source<'r, R>,
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
            let read = (&mut self.input).take(len as u64).read_to_end(buffer)?;
            if read != len {
                return Err(Reject("truncated message").into());
            }
        }
        self.digest.update(buffer).map_err(|_| Reject("hashing failed"))?;
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
    let mut input = Source::new(input);
    let (header, authenticated) = read_header(
        &mut input,
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
        let mut reader =
            MessageReader { input, digest: Digest::start(suite.signing(), scope, len_hint) };
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
        // The footer is not part of what the signature covers.
        let digest = std::mem::replace(&mut reader.digest, Digest::None);
        if let (Some(hasher), Some(verification_key)) =
            (digest.finish()?, &materials.verification_key)
        {
            let len = u16::from_be_bytes(reader.array::<2>()?);
            let mut signature = Vec::new();
            reader.read_into(&mut signature, usize::from(len))?;
            verification_key.verify(hasher, &signature).map_err(|_| Error::DecryptionFailed)?;
        }
        if refuse_trailing_bytes {
            let mut probe = [0u8; 1];
            if crate::encrypt::read_full(&mut reader.input, &mut probe)? != 0 {
                return Err(Error::DecryptionFailed);
            }
        }
        output.write_all(&held)?;
        output.flush()?;
        Ok(DecryptedMessage { header, encryption_context: materials.encryption_context })
    })
}

/// The bytes of a regular frame on the wire: sequence number, IV, content, tag.
fn wire_frame_len(frame_length: usize) -> Result<usize, Error> {
    frame_length.checked_add(4 + IV_LEN + TAG_LEN).ok_or(Error::DecryptionFailed)
}

/// A run of regular frames being decrypted, as they came off the wire (read with one
/// large read, not field by field); each frame's content is opened in place.
#[derive(Default)]
struct Batch {
    wire: Vec<u8>,
    /// Complete frames at the start of `wire`.
    frames: usize,
    /// The sequence number of the first frame.
    first: u32,
}

impl Batch {
    /// Each frame's IV, content and tag, in order.
    fn frames_mut(
        &mut self,
        frame_length: usize,
    ) -> impl Iterator<Item = (&[u8], &mut [u8], &[u8])> {
        let wire_len = frame_length.saturating_add(4 + IV_LEN + TAG_LEN);
        self.wire.chunks_exact_mut(wire_len).take(self.frames).map(move |frame| {
            let (head, rest) = frame.split_at_mut(4 + IV_LEN);
            let (_, iv) = head.split_at_mut(4);
            let (content, tag) = rest.split_at_mut(frame_length);
            (&*iv, content, &*tag)
        })
    }
}

/// Reads regular frames into batches and writes the opened ones.
struct FrameStages<'a, 'r, 'scope, R: Read, W: Write> {
    reader: &'a mut MessageReader<'r, 'scope, R>,
    output: &'a mut W,
    frame_length: usize,
    per_batch: usize,
    /// The sequence number the next frame must carry.
    expected: u32,
}

impl<R: Read, W: Write> FrameStages<'_, '_, '_, R, W> {
    /// Checks the sequence number of each frame that has arrived in `batch.wire[..have]`
    /// and counts the complete ones. Returns where the final frame starts once its
    /// marker has arrived.
    fn check_arrived(&mut self, batch: &mut Batch, have: usize) -> Result<Option<usize>, Error> {
        let wire_len = wire_frame_len(self.frame_length)?;
        while batch.frames < self.per_batch {
            let at = batch.frames * wire_len;
            if have < at + 4 {
                break;
            }
            let field = batch.wire.get(at..at + 4).ok_or(Error::DecryptionFailed)?;
            let sequence_number =
                u32::from_be_bytes(field.try_into().map_err(|_| Error::DecryptionFailed)?);
            if sequence_number == FINAL_FRAME_MARKER {
                return Ok(Some(at));
            }
            if sequence_number != self.expected {
                return Err(Error::DecryptionFailed);
            }
            if have < at + wire_len {
                break;
            }
            batch.frames += 1;
            self.expected = self
                .expected
                .checked_add(1)
                .filter(|n| *n != FINAL_FRAME_MARKER)
                .ok_or(Error::DecryptionFailed)?;
        }
        Ok(None)
    }
}

impl<R: Read, W: Write> Stages<Batch> for FrameStages<'_, '_, '_, R, W> {
    fn fill(&mut self, batch: &mut Batch) -> Result<Filled, Error> {
        /// The buffer grows at most this much ahead of the bytes that have arrived, so
        /// that a lying frame length costs no memory.
        const STEP: usize = 1 << 20;
        let want = wire_frame_len(self.frame_length)?
            .checked_mul(self.per_batch)
            .ok_or(Error::DecryptionFailed)?;
        batch.first = self.expected;
        batch.frames = 0;
        let mut have = 0;
        loop {
            if let Some(final_start) = self.check_arrived(batch, have)? {
                let (regular, rest) = batch.wire.split_at(final_start);
                self.reader.digest.update(regular)?;
                self.reader.input.unread(rest.get(..have - final_start).unwrap_or_default());
                return Ok(if batch.frames == 0 { Filled::Empty } else { Filled::Last });
            }
            if batch.frames == self.per_batch {
                self.reader.digest.update(batch.wire.get(..want).unwrap_or_default())?;
                return Ok(Filled::More);
            }
            let end = want.min(have.saturating_add(STEP).max(batch.wire.len()));
            if batch.wire.len() < end {
                batch.wire.resize(end, 0);
            }
            let space = batch.wire.get_mut(have..end).ok_or(Error::DecryptionFailed)?;
            match self.reader.input.read(space) {
                Ok(0) => return Err(Error::DecryptionFailed),
                Ok(n) => have += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(ReadFailure::from(error).into()),
            }
        }
    }

    fn drain(&mut self, batch: &mut Batch) -> Result<(), Error> {
        let mut contents: Vec<IoSlice<'_>> = batch
            .frames_mut(self.frame_length)
            .map(|(_, content, _)| IoSlice::new(content))
            .collect();
        write_all_vectored(&mut *self.output, &mut contents)?;
        Ok(())
    }
}

/// `Write::write_all` for a list of slices (the standard one is not stable yet), so that
/// a batch's plaintexts, spread between the frames' IVs and tags, go out in one call.
fn write_all_vectored<W: Write>(output: &mut W, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match output.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
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
    for (iv, content, tag) in batch.frames_mut(frame_length) {
        let iv: &[u8; IV_LEN] = iv.try_into().map_err(|_| Error::DecryptionFailed)?;
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::DecryptionFailed)?;
        key.open_in_place_separate_tag(
            iv,
            aad.with(sequence_number, frame_length as u64),
            tag,
            content,
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
    };
    let open_frames = |batch: &mut Batch| open_batch(batch, key, frame_length, &regular_aad);
    let batches = (0..buffers).map(|_| Batch::default()).collect();
    pipeline::run(batches, &mut stages, &open_frames, parallel)?;
    let expected = stages.expected;
    // The pipeline ends without an error only once `fill` met the final frame's marker,
    // which it put back to be read here.
    if reader.u32()? != FINAL_FRAME_MARKER || reader.u32()? != expected {
        return Err(Error::DecryptionFailed);
    }
    let iv = reader.array::<IV_LEN>()?;
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
    use crate::source::Trickle;
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
    fn frames_arriving_in_pieces_of_any_size_decrypt() {
        let per_batch = fixture(1).per_batch;
        let fixture = fixture(per_batch * 3 + 2);
        // Pieces that split every field somewhere: one byte, less than a frame, more.
        for chunk in [1, 5, 777, WIRE_FRAME - 1, WIRE_FRAME + 3, 3 * WIRE_FRAME + 11] {
            for parallel in [false, true] {
                let client = Client { parallel_frames: parallel, ..Client::default() };
                let mut out = Vec::new();
                let input = Trickle { data: &fixture.message, chunk, reads: 0 };
                client
                    .decrypt_stream(&fixture.cmm, &DecryptOptions::default(), input, &mut out)
                    .unwrap_or_else(|e| panic!("chunk {chunk}: {e}"));
                assert!(out == fixture.plaintext, "chunk {chunk}");
                // Bytes after the message are still refused.
                let mut longer = fixture.message.clone();
                longer.push(0);
                let input = Trickle { data: &longer, chunk, reads: 0 };
                let result = client.decrypt_stream(
                    &fixture.cmm,
                    &DecryptOptions::default(),
                    input,
                    std::io::sink(),
                );
                assert!(result.is_err(), "chunk {chunk}");
            }
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
