//! The ciphertext blob format of symmetric KMS keys.
//!
//! Every blob written today is format 2: each ciphertext is sealed under its own
//! AES-256-GCM data key, derived with HKDF-SHA-256 from the key version's material
//! and a random 32-byte salt carried in the blob (as AWS KMS derives a key per
//! ciphertext from its HSM backing key and a nonce). With a fresh key per ciphertext,
//! the random 96-bit GCM nonce is never near NIST's 2^32-messages-per-key bound, however
//! many ciphertexts one key version seals.
//!
//! ```text
//! format 2 (written):
//! 0      1                17                21          53        65
//! | 0x02 | key id (UUID)  | version (u32BE) | salt (32) | nonce   | ciphertext || tag |
//!
//! format 1 (still read):
//! 0      1                17                21        33
//! | 0x01 | key id (UUID)  | version (u32BE) | nonce   | ciphertext || tag |
//! ```
//!
//! Format 2 data key: `HKDF-SHA-256(salt, material, "arca-kms-v2 data key" || header)`.
//! Format 1 seals directly under the version's material.
//!
//! The AAD binds the key's ARN, the key version and the canonical encryption context
//! (and, in format 2, the whole header with the salt), so a blob cannot be replayed
//! under another key, version, salt or context. Clients treat the blob as opaque; the
//! header lets rotated keys decrypt old data.

use uuid::Uuid;

use crate::wire::EncryptionContext;

/// First byte of the original blobs: sealed directly under the key version's material.
pub const FORMAT_V1: u8 = 0x01;
/// First byte of every blob this version writes: sealed under a per-ciphertext key.
pub const FORMAT_V2: u8 = 0x02;
/// Length of the HKDF salt in a format 2 header.
pub const SALT_LEN: usize = 32;
/// Bytes before the AES-GCM nonce in format 1.
const HEADER_V1_LEN: usize = 1 + 16 + 4;
/// Bytes before the AES-GCM nonce in format 2.
pub const HEADER_V2_LEN: usize = HEADER_V1_LEN + SALT_LEN;
/// Nonce and tag sizes of AES-256-GCM.
const NONCE_LEN: usize = arca_crypto::aead::NONCE_LEN;
const TAG_LEN: usize = arca_crypto::aead::TAG_LEN;
/// HKDF info label of format 2 data keys (followed by the header).
const DATA_KEY_LABEL: &[u8] = b"arca-kms-v2 data key";

/// A parsed blob header and the sealed body that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiphertextBlob<'a> {
    /// [`FORMAT_V1`] or [`FORMAT_V2`].
    pub format: u8,
    /// The key that sealed it.
    pub key_id: Uuid,
    /// The key version (1 = original material).
    pub version: u32,
    /// The HKDF salt of the per-ciphertext data key (format 2 only).
    pub salt: Option<[u8; SALT_LEN]>,
    /// The header bytes (everything before the nonce), bound into the AAD.
    pub header: &'a [u8],
    /// The AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the 16-byte tag.
    pub sealed: &'a [u8],
}

impl<'a> CiphertextBlob<'a> {
    /// Parses a blob of either format; `None` for anything malformed (callers answer
    /// InvalidCiphertextException without saying why).
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        let (&format, rest) = bytes.split_first()?;
        let (id, rest) = rest.split_at_checked(16)?;
        let (version, rest) = rest.split_at_checked(4)?;
        let (salt, rest) = match format {
            FORMAT_V1 => (None, rest),
            FORMAT_V2 => {
                let (salt, rest) = rest.split_at_checked(SALT_LEN)?;
                (Some(salt.try_into().ok()?), rest)
            }
            _ => return None,
        };
        let header = bytes.get(..bytes.len() - rest.len())?;
        let (nonce, sealed) = rest.split_at_checked(NONCE_LEN)?;
        if sealed.len() < TAG_LEN {
            return None;
        }
        Some(Self {
            format,
            key_id: Uuid::from_slice(id).ok()?,
            version: u32::from_be_bytes(version.try_into().ok()?),
            salt,
            header,
            nonce: nonce.try_into().ok()?,
            sealed,
        })
    }

    /// The header bytes of a format 2 blob, written before the nonce.
    pub fn header(key_id: Uuid, version: u32, salt: &[u8; SALT_LEN]) -> [u8; HEADER_V2_LEN] {
        let mut header = [0u8; HEADER_V2_LEN];
        header[0] = FORMAT_V2;
        header[1..17].copy_from_slice(key_id.as_bytes());
        header[17..21].copy_from_slice(&version.to_be_bytes());
        header[21..].copy_from_slice(salt);
        header
    }

    /// The header bytes of a format 1 blob (for tests of the old format).
    pub fn header_v1(key_id: Uuid, version: u32) -> [u8; HEADER_V1_LEN] {
        let mut header = [0u8; HEADER_V1_LEN];
        header[0] = FORMAT_V1;
        header[1..17].copy_from_slice(key_id.as_bytes());
        header[17..21].copy_from_slice(&version.to_be_bytes());
        header
    }
}

/// The HKDF `info` parts of a format 2 data key: a label and the blob's header, so the
/// key is bound to the key id, version and salt it was made for.
pub fn data_key_info(header: &[u8]) -> [&[u8]; 2] {
    [DATA_KEY_LABEL, header]
}

/// Length of a format 2 blob sealing `plaintext_len` bytes.
pub fn blob_len(plaintext_len: usize) -> usize {
    HEADER_V2_LEN + NONCE_LEN + plaintext_len + TAG_LEN
}

/// The AAD of a format 1 blob: a label, the key ARN, the version and the canonical
/// context.
pub fn aad(key_arn: &str, version: u32, context: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + key_arn.len());
    out.extend_from_slice(b"arca-kms-v1");
    put_field(&mut out, key_arn.as_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    put_context(&mut out, context);
    out
}

/// The AAD of a format 2 blob: a label, the whole header (format, key id, version,
/// salt), the key ARN and the canonical context.
pub fn aad_v2(header: &[u8], key_arn: &str, context: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + key_arn.len());
    out.extend_from_slice(b"arca-kms-v2");
    put_field(&mut out, header);
    put_field(&mut out, key_arn.as_bytes());
    put_context(&mut out, context);
    out
}

fn put_context(out: &mut Vec<u8>, context: &EncryptionContext) {
    // A BTreeMap iterates in key order, which makes the serialisation canonical.
    out.extend_from_slice(&(context.len() as u32).to_be_bytes());
    for (key, value) in context {
        put_field(out, key.as_bytes());
        put_field(out, value.as_bytes());
    }
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The 16 bytes a key id takes in a blob: its UUID, or for a multi-Region key the
/// 128 bits of its `mrk-` id. Arca makes those as UUID version 8 and ordinary key ids
/// as version 4, so [`key_id_of`] tells them apart.
pub fn key_uuid(key_id: &str) -> Option<Uuid> {
    match key_id.strip_prefix("mrk-") {
        Some(hex_id) => Uuid::from_slice(&hex::decode(hex_id).ok()?).ok(),
        None => Uuid::parse_str(key_id).ok(),
    }
}

/// The key id a blob's 16 bytes name.
pub fn key_id_of(id: Uuid) -> String {
    if id.get_version_num() == 8 {
        format!("mrk-{}", id.simple())
    } else {
        id.hyphenated().to_string()
    }
}

/// A fresh multi-Region key id: `mrk-` and 32 hex digits, shaped as a UUID version 8.
pub fn new_multi_region_id() -> String {
    let mut bytes = [0u8; 16];
    arca_crypto::random::fill(&mut bytes);
    format!("mrk-{}", uuid::Builder::from_custom_bytes(bytes).into_uuid().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_region_ids_round_trip_through_blobs_apart_from_uuids() {
        let mrk = new_multi_region_id();
        assert_eq!(mrk.len(), 36);
        assert_eq!(key_id_of(key_uuid(&mrk).unwrap()), mrk);
        let plain = "1234abcd-12ab-44cd-96ef-1234567890ab";
        assert_eq!(key_id_of(key_uuid(plain).unwrap()), plain);
        assert_eq!(key_uuid("mrk-zz"), None);
    }

    #[test]
    fn parses_what_it_writes() {
        let id = Uuid::new_v4();
        let salt = [5u8; SALT_LEN];
        let header = CiphertextBlob::header(id, 7, &salt);
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(&[9u8; 12]);
        bytes.extend_from_slice(&[1u8; 20]);
        let blob = CiphertextBlob::parse(&bytes).unwrap();
        assert_eq!(blob.format, FORMAT_V2);
        assert_eq!(blob.key_id, id);
        assert_eq!(blob.version, 7);
        assert_eq!(blob.salt, Some(salt));
        assert_eq!(blob.header, &header[..]);
        assert_eq!(blob.nonce, [9u8; 12]);
        assert_eq!(blob.sealed.len(), 20);
        assert_eq!(blob_len(4), bytes.len());
    }

    #[test]
    fn parses_the_old_format() {
        let id = Uuid::new_v4();
        let mut bytes = CiphertextBlob::header_v1(id, 3).to_vec();
        bytes.extend_from_slice(&[9u8; 12]);
        bytes.extend_from_slice(&[1u8; 20]);
        let blob = CiphertextBlob::parse(&bytes).unwrap();
        assert_eq!((blob.format, blob.key_id, blob.version, blob.salt), (FORMAT_V1, id, 3, None));
        assert_eq!(blob.header.len(), HEADER_V1_LEN);
        assert_eq!(blob.sealed.len(), 20);
    }

    #[test]
    fn refuses_short_or_foreign_blobs() {
        assert!(CiphertextBlob::parse(&[]).is_none());
        assert!(CiphertextBlob::parse(&[3u8; 64]).is_none());
        assert!(CiphertextBlob::parse(&[0u8; 64]).is_none());
        let short = CiphertextBlob::header_v1(Uuid::new_v4(), 1);
        assert!(CiphertextBlob::parse(&short).is_none());
        let short = CiphertextBlob::header(Uuid::new_v4(), 1, &[0u8; SALT_LEN]);
        assert!(CiphertextBlob::parse(&short).is_none());
        // A v2 blob without its salt is too short to be one.
        let mut truncated = CiphertextBlob::header_v1(Uuid::new_v4(), 1).to_vec();
        truncated[0] = FORMAT_V2;
        truncated.extend_from_slice(&[0u8; 12 + 16]);
        assert!(CiphertextBlob::parse(&truncated).is_none());
    }

    #[test]
    fn context_and_header_change_the_aad() {
        let mut a = EncryptionContext::new();
        a.insert("k".into(), "v".into());
        let mut b = EncryptionContext::new();
        b.insert("kv".into(), String::new());
        assert_ne!(aad("arn", 1, &a), aad("arn", 1, &b));
        assert_ne!(aad("arn", 1, &a), aad("arn", 2, &a));
        let id = Uuid::new_v4();
        let one = CiphertextBlob::header(id, 1, &[1u8; SALT_LEN]);
        let two = CiphertextBlob::header(id, 1, &[2u8; SALT_LEN]);
        assert_ne!(aad_v2(&one, "arn", &a), aad_v2(&two, "arn", &a));
        assert_ne!(aad_v2(&one, "arn", &a), aad_v2(&one, "arn", &b));
        assert_ne!(aad_v2(&one, "arn", &a), aad_v2(&one, "arn2", &a));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..160)) {
            let _ = CiphertextBlob::parse(&bytes);
        }

        #[test]
        fn v2_headers_round_trip(
            id in proptest::array::uniform16(proptest::num::u8::ANY),
            version in proptest::num::u32::ANY,
            salt in proptest::array::uniform32(proptest::num::u8::ANY),
            nonce in proptest::array::uniform12(proptest::num::u8::ANY),
            body in proptest::collection::vec(proptest::num::u8::ANY, 16..64),
        ) {
            let id = Uuid::from_bytes(id);
            let mut bytes = CiphertextBlob::header(id, version, &salt).to_vec();
            bytes.extend_from_slice(&nonce);
            bytes.extend_from_slice(&body);
            let blob = CiphertextBlob::parse(&bytes).unwrap();
            proptest::prop_assert_eq!(blob.format, FORMAT_V2);
            proptest::prop_assert_eq!(blob.key_id, id);
            proptest::prop_assert_eq!(blob.version, version);
            proptest::prop_assert_eq!(blob.salt, Some(salt));
            proptest::prop_assert_eq!(blob.nonce, nonce);
            proptest::prop_assert_eq!(blob.sealed, &body[..]);
        }
    }
}
