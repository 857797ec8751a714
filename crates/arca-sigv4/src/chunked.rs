//! `aws-chunked` bodies signed with `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
//!
//! Each chunk is `hex-size;chunk-signature=SIG\r\nDATA\r\n`; the last has size 0. Each
//! signature covers the previous one (the first covers the request's own signature), so
//! chunks can be neither altered, reordered, dropped nor appended.

use crate::canonical::{SigningKey, chunk_signature};
use crate::error::SigV4Error;
use crate::verify::{VerifiedPayload, VerifiedRequest};

/// Default bound on one chunk's data (the SDKs send 64 KiB chunks).
pub const DEFAULT_MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;
/// Bound on a chunk header line (`hex;chunk-signature=<64 hex>`, plus slack).
const MAX_HEADER_LINE: usize = 256;

/// Decodes and verifies an `aws-chunked` body incrementally.
///
/// Feed the body as it arrives with [`ChunkDecoder::push`]; decoded data is appended to
/// the output only once its chunk's signature has been checked. [`ChunkDecoder::finish`]
/// fails unless the final, empty chunk was seen.
#[derive(Debug)]
pub struct ChunkDecoder {
    key: SigningKey,
    amz_date: String,
    scope: String,
    previous_signature: [u8; 32],
    buffer: Vec<u8>,
    finished: bool,
    decoded_len: u64,
    max_chunk_size: usize,
}

impl ChunkDecoder {
    /// Starts decoding the body of a verified streaming request.
    pub fn new(verified: &VerifiedRequest) -> Result<Self, SigV4Error> {
        if verified.payload() != VerifiedPayload::StreamingSigned {
            return Err(SigV4Error::InvalidPayloadHash {
                reason: "The request does not declare STREAMING-AWS4-HMAC-SHA256-PAYLOAD."
                    .to_owned(),
            });
        }
        Ok(Self {
            key: verified.signing_key().clone(),
            amz_date: verified.amz_date().to_owned(),
            scope: verified.scope().to_scope_string(),
            previous_signature: *verified.seed_signature(),
            buffer: Vec::new(),
            finished: false,
            decoded_len: 0,
            max_chunk_size: DEFAULT_MAX_CHUNK_SIZE,
        })
    }

    /// Sets the largest chunk accepted.
    pub fn with_max_chunk_size(mut self, max_chunk_size: usize) -> Self {
        self.max_chunk_size = max_chunk_size;
        self
    }

    /// Bytes of decoded payload so far (compare with `x-amz-decoded-content-length`).
    pub fn decoded_len(&self) -> u64 {
        self.decoded_len
    }

    /// Feeds body bytes; appends verified chunk data to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SigV4Error> {
        if self.finished {
            if input.is_empty() {
                return Ok(());
            }
            return Err(SigV4Error::chunk("Data follows the final chunk."));
        }
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.extend_from_slice(input);
        let mut consumed = 0;
        while !self.finished {
            let rest = buffer.get(consumed..).unwrap_or_default();
            match self.next_chunk(rest, out)? {
                Some(used) => consumed += used,
                None => break,
            }
        }
        buffer.drain(..consumed);
        self.buffer = buffer;
        if self.finished && !self.buffer.is_empty() {
            return Err(SigV4Error::chunk("Data follows the final chunk."));
        }
        Ok(())
    }

    /// Ends the body; fails if it stopped before the final chunk.
    pub fn finish(self) -> Result<u64, SigV4Error> {
        if !self.finished {
            return Err(SigV4Error::chunk(
                "The request body terminated unexpectedly before the final chunk.",
            ));
        }
        Ok(self.decoded_len)
    }

    /// Decodes one chunk from the start of `input`; `None` when more bytes are needed.
    fn next_chunk(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Option<usize>, SigV4Error> {
        let search = input.get(..input.len().min(MAX_HEADER_LINE)).unwrap_or_default();
        let Some(line_end) = search.windows(2).position(|pair| pair == b"\r\n") else {
            if input.len() >= MAX_HEADER_LINE {
                return Err(SigV4Error::chunk("Chunk header line is too long."));
            }
            return Ok(None);
        };
        let line = input.get(..line_end).unwrap_or_default();
        let (size, signature) = parse_chunk_header(line)?;
        if size > self.max_chunk_size {
            return Err(SigV4Error::chunk("Chunk is larger than allowed."));
        }
        let data_start = line_end + 2;
        let data_end = data_start + size;
        let Some(trailer) = input.get(data_end..data_end + 2) else {
            return Ok(None);
        };
        if trailer != b"\r\n" {
            return Err(SigV4Error::chunk("Chunk data is not followed by CRLF."));
        }
        let data = input.get(data_start..data_end).unwrap_or_default();
        let expected =
            chunk_signature(&self.key, &self.amz_date, &self.scope, &self.previous_signature, data);
        if !arca_crypto::ct_eq(&expected, &signature) {
            return Err(SigV4Error::SignatureDoesNotMatch);
        }
        self.previous_signature = signature;
        out.extend_from_slice(data);
        self.decoded_len += data.len() as u64;
        if size == 0 {
            self.finished = true;
        }
        Ok(Some(data_end + 2))
    }
}

/// Decodes a whole `aws-chunked` body at once.
pub fn decode_chunked(verified: &VerifiedRequest, body: &[u8]) -> Result<Vec<u8>, SigV4Error> {
    let mut decoder = ChunkDecoder::new(verified)?;
    let mut out = Vec::with_capacity(body.len());
    decoder.push(body, &mut out)?;
    decoder.finish()?;
    Ok(out)
}

fn parse_chunk_header(line: &[u8]) -> Result<(usize, [u8; 32]), SigV4Error> {
    let line =
        std::str::from_utf8(line).map_err(|_| SigV4Error::chunk("Chunk header is not ASCII."))?;
    let Some((size, extension)) = line.split_once(';') else {
        return Err(SigV4Error::chunk("Chunk header lacks a chunk-signature."));
    };
    if size.is_empty() || size.len() > 8 {
        return Err(SigV4Error::chunk("Chunk size is not a hex number of at most 8 digits."));
    }
    let size = usize::from_str_radix(size, 16)
        .map_err(|_| SigV4Error::chunk("Chunk size is not a hex number."))?;
    let Some(signature) = extension.strip_prefix("chunk-signature=") else {
        return Err(SigV4Error::chunk("Chunk header lacks a chunk-signature."));
    };
    let mut bytes = [0u8; 32];
    if signature.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return Err(SigV4Error::SignatureDoesNotMatch);
    }
    hex::decode_to_slice(signature, &mut bytes).map_err(|_| SigV4Error::SignatureDoesNotMatch)?;
    Ok((size, bytes))
}

/// Encodes `chunks` as a signed `aws-chunked` body (the client side, for tests and
/// Arca's own tools), ending with the final empty chunk.
pub fn encode_chunked(
    key: &SigningKey,
    amz_date: &str,
    scope: &str,
    seed_signature: &[u8; 32],
    chunks: &[&[u8]],
) -> Vec<u8> {
    let mut previous = *seed_signature;
    let mut body = Vec::new();
    for chunk in chunks.iter().copied().chain(std::iter::once(&[][..])) {
        let signature = chunk_signature(key, amz_date, scope, &previous, chunk);
        body.extend_from_slice(
            format!("{:x};chunk-signature={}\r\n", chunk.len(), hex::encode(signature)).as_bytes(),
        );
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
        previous = signature;
    }
    body
}
