//! The message header (versions 1 and 2): parsing from a reader with strict bounds,
//! and serialisation.

use std::io::Read;

use crate::context::{Cursor, EncryptionContext};
use crate::error::{ReadFailure, Reject};
use crate::materials::EncryptedDataKey;
use crate::suite::{AlgorithmSuite, COMMITMENT_KEY_LEN, MessageFormatVersion};

/// The AES-GCM IV length of every suite.
pub const IV_LEN: usize = 12;
/// The AES-GCM tag length of every suite.
pub const TAG_LEN: usize = 16;
const V1_MESSAGE_TYPE: u8 = 0x80;

/// How the body is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// One encrypted block (read-only: Arca never writes it).
    NonFramed,
    /// A sequence of frames of the header's frame length.
    Framed,
}

impl ContentType {
    fn byte(self) -> u8 {
        match self {
            ContentType::NonFramed => 1,
            ContentType::Framed => 2,
        }
    }
}

/// A parsed or to-be-written message header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHeader {
    /// The algorithm suite (which also fixes the format version).
    pub suite: AlgorithmSuite,
    /// 16 bytes (version 1) or 32 bytes (version 2).
    pub message_id: Vec<u8>,
    /// The stored encryption context (including `aws-crypto-public-key` for signed suites).
    pub encryption_context: EncryptionContext,
    /// The wrapped copies of the data key.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// Framed or non-framed body.
    pub content_type: ContentType,
    /// Frame length (0 for non-framed bodies).
    pub frame_length: u32,
    /// Version 2 suite data: the commitment key (empty for version 1).
    pub suite_data: Vec<u8>,
    /// Version 1 header IV (all zeros when written by Arca).
    pub header_iv: [u8; IV_LEN],
    /// The header authentication tag.
    pub auth_tag: [u8; TAG_LEN],
}

/// Limits applied while reading a header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderLimits {
    pub(crate) max_encrypted_data_keys: Option<u16>,
}

impl MessageHeader {
    /// The format version (from the suite).
    pub fn version(&self) -> MessageFormatVersion {
        self.suite.message_format_version()
    }

    /// Serialises everything the authentication tag covers (the header minus IV and tag).
    pub fn serialize_authenticated_part(&self) -> Result<Vec<u8>, crate::Error> {
        let too_big = |what: &str| crate::Error::InvalidArgument(format!("{what} is too large"));
        let mut out = Vec::with_capacity(256);
        match self.version() {
            MessageFormatVersion::V1 => {
                out.push(1);
                out.push(V1_MESSAGE_TYPE);
            }
            MessageFormatVersion::V2 => out.push(2),
        }
        out.extend_from_slice(&self.suite.id().to_be_bytes());
        out.extend_from_slice(&self.message_id);
        let context = self.encryption_context.serialize()?;
        let context_len =
            u16::try_from(context.len()).map_err(|_| too_big("encryption context"))?;
        out.extend_from_slice(&context_len.to_be_bytes());
        out.extend_from_slice(&context);
        let count = u16::try_from(self.encrypted_data_keys.len())
            .map_err(|_| too_big("encrypted data key list"))?;
        out.extend_from_slice(&count.to_be_bytes());
        for key in &self.encrypted_data_keys {
            for field in [
                key.provider_id.as_bytes(),
                key.provider_info.as_slice(),
                key.ciphertext.as_slice(),
            ] {
                let len = u16::try_from(field.len()).map_err(|_| too_big("encrypted data key"))?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(field);
            }
        }
        out.push(self.content_type.byte());
        match self.version() {
            MessageFormatVersion::V1 => {
                out.extend_from_slice(&[0, 0, 0, 0]);
                out.push(IV_LEN as u8);
                out.extend_from_slice(&self.frame_length.to_be_bytes());
            }
            MessageFormatVersion::V2 => {
                out.extend_from_slice(&self.frame_length.to_be_bytes());
                out.extend_from_slice(&self.suite_data);
            }
        }
        Ok(out)
    }

    /// The IV used for the header authentication tag.
    pub(crate) fn auth_iv(&self) -> [u8; IV_LEN] {
        match self.version() {
            MessageFormatVersion::V1 => self.header_iv,
            MessageFormatVersion::V2 => [0u8; IV_LEN],
        }
    }

    /// Serialises the header authentication section that follows the authenticated part.
    pub fn serialize_auth(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(IV_LEN + TAG_LEN);
        if self.version() == MessageFormatVersion::V1 {
            out.extend_from_slice(&self.header_iv);
        }
        out.extend_from_slice(&self.auth_tag);
        out
    }

    /// Parses a complete header from `bytes`, returning it and its length.
    pub fn parse(bytes: &[u8]) -> Result<(MessageHeader, usize), crate::Error> {
        let mut reader = bytes;
        let (header, authenticated) =
            read_header(&mut reader, HeaderLimits { max_encrypted_data_keys: None })?;
        let len = authenticated.len() + header.serialize_auth().len();
        Ok((header, len))
    }
}

/// Reads exactly the bytes of the header from `reader`, recording the authenticated part.
struct Recorder<'r, R: Read> {
    reader: &'r mut R,
    recorded: Vec<u8>,
}

impl<R: Read> Recorder<'_, R> {
    fn take(&mut self, len: usize) -> Result<&[u8], ReadFailure> {
        let start = self.recorded.len();
        self.recorded.resize(start + len, 0);
        let tail = self.recorded.get_mut(start..).ok_or(Reject("header bookkeeping"))?;
        self.reader.read_exact(tail)?;
        Ok(self.recorded.get(start..).unwrap_or_default())
    }

    fn u8(&mut self) -> Result<u8, ReadFailure> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn u16(&mut self) -> Result<u16, ReadFailure> {
        let bytes = self.take(2)?;
        Ok(Cursor::new(bytes).u16()?)
    }

    fn u32(&mut self) -> Result<u32, ReadFailure> {
        let bytes = self.take(4)?;
        Ok(Cursor::new(bytes).u32()?)
    }

    fn utf8(&mut self, len: usize) -> Result<String, ReadFailure> {
        let bytes = self.take(len)?;
        Ok(std::str::from_utf8(bytes).map_err(|_| Reject("provider id is not UTF-8"))?.to_string())
    }
}

/// Reads a header, returning it and the bytes its tag authenticates.
pub(crate) fn read_header<R: Read>(
    reader: &mut R,
    limits: HeaderLimits,
) -> Result<(MessageHeader, Vec<u8>), ReadFailure> {
    let mut input = Recorder { reader, recorded: Vec::with_capacity(512) };
    let version = match input.u8()? {
        1 => {
            if input.u8()? != V1_MESSAGE_TYPE {
                return Err(Reject("unknown message type").into());
            }
            MessageFormatVersion::V1
        }
        2 => MessageFormatVersion::V2,
        _ => return Err(Reject("unknown message format version").into()),
    };
    let suite = AlgorithmSuite::from_id(input.u16()?).ok_or(Reject("unknown algorithm suite"))?;
    if suite.message_format_version() != version {
        return Err(Reject("suite does not match format version").into());
    }
    let message_id = input.take(version.message_id_len())?.to_vec();
    let context_len = usize::from(input.u16()?);
    let encryption_context = EncryptionContext::parse(input.take(context_len)?)?;
    let count = input.u16()?;
    if count == 0 {
        return Err(Reject("no encrypted data keys").into());
    }
    if let Some(max) = limits.max_encrypted_data_keys
        && count > max
    {
        return Err(Reject("too many encrypted data keys").into());
    }
    let mut encrypted_data_keys = Vec::with_capacity(usize::from(count).min(64));
    for _ in 0..count {
        let id_len = usize::from(input.u16()?);
        let provider_id = input.utf8(id_len)?;
        let info_len = usize::from(input.u16()?);
        let provider_info = input.take(info_len)?.to_vec();
        let ciphertext_len = usize::from(input.u16()?);
        let ciphertext = input.take(ciphertext_len)?.to_vec();
        encrypted_data_keys.push(EncryptedDataKey { provider_id, provider_info, ciphertext });
    }
    let content_type = match input.u8()? {
        1 => ContentType::NonFramed,
        2 => ContentType::Framed,
        _ => return Err(Reject("unknown content type").into()),
    };
    let mut suite_data = Vec::new();
    let frame_length = match version {
        MessageFormatVersion::V1 => {
            if input.take(4)? != [0, 0, 0, 0] {
                return Err(Reject("reserved bytes are not zero").into());
            }
            if usize::from(input.u8()?) != IV_LEN {
                return Err(Reject("unsupported IV length").into());
            }
            input.u32()?
        }
        MessageFormatVersion::V2 => {
            let frame_length = input.u32()?;
            suite_data = input.take(COMMITMENT_KEY_LEN)?.to_vec();
            frame_length
        }
    };
    match content_type {
        ContentType::NonFramed if frame_length != 0 => {
            return Err(Reject("non-framed body with a frame length").into());
        }
        ContentType::Framed if frame_length == 0 => {
            return Err(Reject("framed body with zero frame length").into());
        }
        ContentType::NonFramed | ContentType::Framed => {}
    }
    let authenticated_len = input.recorded.len();
    let mut header_iv = [0u8; IV_LEN];
    if version == MessageFormatVersion::V1 {
        header_iv.copy_from_slice(input.take(IV_LEN)?);
    }
    let mut auth_tag = [0u8; TAG_LEN];
    auth_tag.copy_from_slice(input.take(TAG_LEN)?);
    let mut authenticated = input.recorded;
    authenticated.truncate(authenticated_len);
    Ok((
        MessageHeader {
            suite,
            message_id,
            encryption_context,
            encrypted_data_keys,
            content_type,
            frame_length,
            suite_data,
            header_iv,
            auth_tag,
        },
        authenticated,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(suite: AlgorithmSuite) -> MessageHeader {
        let version = suite.message_format_version();
        MessageHeader {
            suite,
            message_id: vec![7; version.message_id_len()],
            encryption_context: [("purpose", "test")].into_iter().collect(),
            encrypted_data_keys: vec![EncryptedDataKey {
                provider_id: "ns".into(),
                provider_info: b"name".to_vec(),
                ciphertext: vec![1, 2, 3],
            }],
            content_type: ContentType::Framed,
            frame_length: 4096,
            suite_data: if version == MessageFormatVersion::V2 { vec![9; 32] } else { Vec::new() },
            header_iv: [0; IV_LEN],
            auth_tag: [5; TAG_LEN],
        }
    }

    fn full_bytes(header: &MessageHeader) -> Vec<u8> {
        let mut bytes = header.serialize_authenticated_part().unwrap();
        bytes.extend_from_slice(&header.serialize_auth());
        bytes
    }

    #[test]
    fn round_trips_both_versions() {
        for suite in AlgorithmSuite::ALL {
            let header = sample(suite);
            let bytes = full_bytes(&header);
            let (parsed, len) = MessageHeader::parse(&bytes).unwrap();
            assert_eq!(parsed, header);
            assert_eq!(len, bytes.len());
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = full_bytes(&sample(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey));
        for cut in 0..bytes.len() {
            assert!(MessageHeader::parse(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn max_encrypted_data_keys_is_enforced() {
        let bytes = full_bytes(&sample(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey));
        let limits = |max| HeaderLimits { max_encrypted_data_keys: Some(max) };
        assert!(read_header(&mut &bytes[..], limits(1)).is_ok());
        assert!(read_header(&mut &bytes[..], limits(0)).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_headers_round_trip(
            suite_index in 0usize..11,
            pairs in proptest::collection::btree_map("[a-z]{1,8}", ".{0,8}", 0..5),
            keys in proptest::collection::vec(("[a-z]{0,8}", proptest::collection::vec(any::<u8>(), 0..40), proptest::collection::vec(any::<u8>(), 0..40)), 1..4),
            frame_length in 1u32..,
        ) {
            let mut header = sample(AlgorithmSuite::ALL[suite_index]);
            header.encryption_context = pairs.into();
            header.encrypted_data_keys = keys.into_iter().map(|(provider_id, provider_info, ciphertext)| EncryptedDataKey { provider_id, provider_info, ciphertext }).collect();
            header.frame_length = frame_length;
            let bytes = full_bytes(&header);
            let (parsed, len) = MessageHeader::parse(&bytes).unwrap();
            prop_assert_eq!(parsed, header);
            prop_assert_eq!(len, bytes.len());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = MessageHeader::parse(&bytes);
        }
    }
}
