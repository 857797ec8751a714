//! The ciphertext blob format of symmetric KMS keys.
//!
//! ```text
//! 0      1                17                21        33
//! | 0x01 | key id (UUID)  | version (u32BE) | nonce   | ciphertext || tag |
//! ```
//!
//! The AAD binds the key's ARN, the key version and the canonical encryption
//! context, so a blob cannot be replayed under another key, version or context.
//! Clients treat the blob as opaque; the header lets rotated keys decrypt old data.

use uuid::Uuid;

use crate::wire::EncryptionContext;

/// First byte of every blob this version writes.
pub const FORMAT_V1: u8 = 0x01;
/// Bytes before the AES-GCM nonce.
const HEADER_LEN: usize = 1 + 16 + 4;
/// Nonce and tag sizes of AES-256-GCM.
const NONCE_LEN: usize = arca_crypto::aead::NONCE_LEN;
const TAG_LEN: usize = arca_crypto::aead::TAG_LEN;

/// A parsed blob header and the sealed body that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiphertextBlob<'a> {
    /// The key that sealed it.
    pub key_id: Uuid,
    /// The key version (1 = original material).
    pub version: u32,
    /// The AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the 16-byte tag.
    pub sealed: &'a [u8],
}

impl<'a> CiphertextBlob<'a> {
    /// Parses a blob; `None` for anything malformed (callers answer
    /// InvalidCiphertextException without saying why).
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        let (&format, rest) = bytes.split_first()?;
        if format != FORMAT_V1 {
            return None;
        }
        let (id, rest) = rest.split_at_checked(16)?;
        let (version, rest) = rest.split_at_checked(4)?;
        let (nonce, sealed) = rest.split_at_checked(NONCE_LEN)?;
        if sealed.len() < TAG_LEN {
            return None;
        }
        Some(Self {
            key_id: Uuid::from_slice(id).ok()?,
            version: u32::from_be_bytes(version.try_into().ok()?),
            nonce: nonce.try_into().ok()?,
            sealed,
        })
    }

    /// The header bytes written before the nonce.
    pub fn header(key_id: Uuid, version: u32) -> [u8; HEADER_LEN] {
        let mut header = [0u8; HEADER_LEN];
        header[0] = FORMAT_V1;
        header[1..17].copy_from_slice(key_id.as_bytes());
        header[17..21].copy_from_slice(&version.to_be_bytes());
        header
    }
}

/// Length of a blob sealing `plaintext_len` bytes.
pub fn blob_len(plaintext_len: usize) -> usize {
    HEADER_LEN + NONCE_LEN + plaintext_len + TAG_LEN
}

/// The AAD of a blob: a label, the key ARN, the version and the canonical context.
pub fn aad(key_arn: &str, version: u32, context: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + key_arn.len());
    out.extend_from_slice(b"arca-kms-v1");
    put_field(&mut out, key_arn.as_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    // A BTreeMap iterates in key order, which makes the serialisation canonical.
    out.extend_from_slice(&(context.len() as u32).to_be_bytes());
    for (key, value) in context {
        put_field(&mut out, key.as_bytes());
        put_field(&mut out, value.as_bytes());
    }
    out
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_writes() {
        let id = Uuid::new_v4();
        let mut bytes = CiphertextBlob::header(id, 7).to_vec();
        bytes.extend_from_slice(&[9u8; 12]);
        bytes.extend_from_slice(&[1u8; 20]);
        let blob = CiphertextBlob::parse(&bytes).unwrap();
        assert_eq!(blob.key_id, id);
        assert_eq!(blob.version, 7);
        assert_eq!(blob.nonce, [9u8; 12]);
        assert_eq!(blob.sealed.len(), 20);
        assert_eq!(blob_len(4), bytes.len());
    }

    #[test]
    fn refuses_short_or_foreign_blobs() {
        assert!(CiphertextBlob::parse(&[]).is_none());
        assert!(CiphertextBlob::parse(&[2u8; 64]).is_none());
        let short = CiphertextBlob::header(Uuid::new_v4(), 1);
        assert!(CiphertextBlob::parse(&short).is_none());
    }

    #[test]
    fn context_changes_the_aad() {
        let mut a = EncryptionContext::new();
        a.insert("k".into(), "v".into());
        let mut b = EncryptionContext::new();
        b.insert("kv".into(), String::new());
        assert_ne!(aad("arn", 1, &a), aad("arn", 1, &b));
        assert_ne!(aad("arn", 1, &a), aad("arn", 2, &a));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..128)) {
            let _ = CiphertextBlob::parse(&bytes);
        }
    }
}
