//! Just enough DER for SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7): checking that a
//! public key is one, and writing and reading the ML-KEM ones, for which aws-lc-rs has no
//! encoder or parser.
//!
//! ```text
//! SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
//! AlgorithmIdentifier  ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
//! ```

use crate::CryptoError;
use crate::rsa::der_tlv;

const SEQUENCE: u8 = 0x30;
const BIT_STRING: u8 = 0x03;

/// The parts of a DER SubjectPublicKeyInfo.
pub(super) struct SubjectPublicKeyInfo<'a> {
    /// The AlgorithmIdentifier's contents: the OID element, then any parameters.
    pub(super) algorithm: &'a [u8],
    /// The subjectPublicKey's bytes (a whole number of them).
    pub(super) public_key: &'a [u8],
}

/// Splits a DER SubjectPublicKeyInfo into its parts. Refuses anything else, such as a raw
/// point or a PKCS #1 `RSAPublicKey`, and trailing bytes. aws-lc parses the key itself.
pub(super) fn parse(der: &[u8]) -> Result<SubjectPublicKeyInfo<'_>, CryptoError> {
    let (outer, rest) = read_element(der, SEQUENCE)?;
    if !rest.is_empty() {
        return Err(CryptoError::InvalidInput);
    }
    let (algorithm, rest) = read_element(outer, SEQUENCE)?;
    let (bits, rest) = read_element(rest, BIT_STRING)?;
    if !rest.is_empty() {
        return Err(CryptoError::InvalidInput);
    }
    match bits.split_first() {
        Some((0, public_key)) => Ok(SubjectPublicKeyInfo { algorithm, public_key }),
        Some(_) | None => Err(CryptoError::InvalidInput),
    }
}

/// A SubjectPublicKeyInfo whose AlgorithmIdentifier is `oid` (a whole OBJECT IDENTIFIER
/// element) with parameters absent, as RFC 9935 (ML-KEM) requires.
pub(super) fn encode(oid: &[u8], public_key: &[u8]) -> Vec<u8> {
    let mut algorithm = Vec::with_capacity(oid.len() + 2);
    der_tlv(SEQUENCE, oid, &mut algorithm);
    let mut bits = Vec::with_capacity(public_key.len() + 1);
    bits.push(0);
    bits.extend_from_slice(public_key);
    let mut content = algorithm;
    der_tlv(BIT_STRING, &bits, &mut content);
    let mut der = Vec::with_capacity(content.len() + 4);
    der_tlv(SEQUENCE, &content, &mut der);
    der
}

/// Reads one DER element with tag `tag`; returns its contents and what follows it. Only
/// definite, minimal lengths below 2^32 are accepted.
fn read_element(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), CryptoError> {
    let (&found, rest) = input.split_first().ok_or(CryptoError::InvalidInput)?;
    if found != tag {
        return Err(CryptoError::InvalidInput);
    }
    let (&first, rest) = rest.split_first().ok_or(CryptoError::InvalidInput)?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return Err(CryptoError::InvalidInput);
        }
        let (octets, rest) = rest.split_at_checked(count).ok_or(CryptoError::InvalidInput)?;
        if octets.first() == Some(&0) {
            return Err(CryptoError::InvalidInput);
        }
        let len = octets.iter().fold(0usize, |len, octet| (len << 8) | usize::from(*octet));
        if len < 0x80 {
            return Err(CryptoError::InvalidInput);
        }
        (len, rest)
    };
    rest.split_at_checked(len).ok_or(CryptoError::InvalidInput)
}
