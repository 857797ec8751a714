//! ECDSA over P-256 (SHA-256) and P-384 (SHA-384): key generation, signing and
//! verification of an incrementally hashed message, compressed public points, and
//! DER (ASN.1) signatures.
//!
//! ```
//! use arca_crypto::ecdsa::{EcdsaCurve, EcdsaSigningKey, EcdsaVerifyingKey, MessageHasher};
//! let key = EcdsaSigningKey::generate(EcdsaCurve::P384).unwrap();
//! let mut hasher = MessageHasher::new(EcdsaCurve::P384);
//! hasher.update(b"header and body");
//! let signature = key.sign(hasher.clone()).unwrap();
//! let public = EcdsaVerifyingKey::from_public_point(EcdsaCurve::P384, &key.public_point_compressed().unwrap()).unwrap();
//! assert!(public.verify(hasher, &signature).is_ok());
//! ```

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1,
    ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, EcdsaSigningAlgorithm,
    EcdsaVerificationAlgorithm, KeyPair, ParsedPublicKey, UnparsedPublicKey,
};

use crate::{CryptoError, SecretBytes};

/// A curve and its paired hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcdsaCurve {
    /// NIST P-256 with SHA-256.
    P256,
    /// NIST P-384 with SHA-384.
    P384,
}

impl EcdsaCurve {
    fn signing(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            EcdsaCurve::P256 => &ECDSA_P256_SHA256_ASN1_SIGNING,
            EcdsaCurve::P384 => &ECDSA_P384_SHA384_ASN1_SIGNING,
        }
    }

    fn verification(self) -> &'static EcdsaVerificationAlgorithm {
        match self {
            EcdsaCurve::P256 => &ECDSA_P256_SHA256_ASN1,
            EcdsaCurve::P384 => &ECDSA_P384_SHA384_ASN1,
        }
    }

    fn digest(self) -> &'static digest::Algorithm {
        match self {
            EcdsaCurve::P256 => &digest::SHA256,
            EcdsaCurve::P384 => &digest::SHA384,
        }
    }

    /// Length of a compressed public point (1 + field size).
    pub fn compressed_point_len(self) -> usize {
        match self {
            EcdsaCurve::P256 => 33,
            EcdsaCurve::P384 => 49,
        }
    }

    /// The largest DER signature this curve yields.
    pub fn max_signature_len(self) -> usize {
        match self {
            EcdsaCurve::P256 => 72,
            EcdsaCurve::P384 => 104,
        }
    }
}

/// The running hash of a message to be signed or verified, with the curve's hash.
#[derive(Clone)]
pub struct MessageHasher {
    curve: EcdsaCurve,
    context: digest::Context,
}

impl std::fmt::Debug for MessageHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MessageHasher({:?})", self.curve)
    }
}

impl MessageHasher {
    /// Starts hashing for `curve`.
    pub fn new(curve: EcdsaCurve) -> Self {
        Self { curve, context: digest::Context::new(curve.digest()) }
    }

    /// Feeds more of the message.
    pub fn update(&mut self, data: &[u8]) {
        self.context.update(data);
    }
}

/// An ECDSA private key.
pub struct EcdsaSigningKey {
    curve: EcdsaCurve,
    pair: EcdsaKeyPair,
}

impl std::fmt::Debug for EcdsaSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EcdsaSigningKey({:?}, [REDACTED])", self.curve)
    }
}

impl EcdsaSigningKey {
    /// Generates a fresh key.
    pub fn generate(curve: EcdsaCurve) -> Result<Self, CryptoError> {
        Ok(Self { curve, pair: EcdsaKeyPair::generate(curve.signing())? })
    }

    /// Loads a PKCS#8 or RFC 5915 DER private key.
    pub fn from_der(curve: EcdsaCurve, der: &[u8]) -> Result<Self, CryptoError> {
        let pair = EcdsaKeyPair::from_private_key_der(curve.signing(), der)
            .map_err(|_| CryptoError::InvalidInput)?;
        Ok(Self { curve, pair })
    }

    /// The PKCS#8 DER encoding of this key.
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes, CryptoError> {
        Ok(SecretBytes::from_slice(self.pair.to_pkcs8v1()?.as_ref()))
    }

    /// The curve of this key.
    pub fn curve(&self) -> EcdsaCurve {
        self.curve
    }

    /// The public point in SEC1 compressed form.
    ///
    /// It is re-encoded from the uncompressed point the key pair computed when it was made:
    /// asking aws-lc for the compressed form would convert the point to affine coordinates
    /// (a field inversion) a second time, about 3% of encrypting a small signed message,
    /// where every message has a fresh key.
    pub fn public_point_compressed(&self) -> Result<Vec<u8>, CryptoError> {
        compress_sec1_point(self.pair.public_key().as_ref())
    }

    /// The public key as a SubjectPublicKeyInfo DER document.
    pub fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        Ok(self.pair.public_key().as_der()?.as_ref().to_vec())
    }

    /// Signs the hashed message; the signature is DER-encoded.
    pub fn sign(&self, hasher: MessageHasher) -> Result<Vec<u8>, CryptoError> {
        if hasher.curve != self.curve {
            return Err(CryptoError::InvalidInput);
        }
        let digest = hasher.context.finish();
        Ok(self.pair.sign_digest(&digest)?.as_ref().to_vec())
    }

    /// Signs `message` in one call.
    pub fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut hasher = MessageHasher::new(self.curve);
        hasher.update(message);
        self.sign(hasher)
    }
}

/// An ECDSA public key.
pub struct EcdsaVerifyingKey {
    curve: EcdsaCurve,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for EcdsaVerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EcdsaVerifyingKey({:?})", self.curve)
    }
}

impl EcdsaVerifyingKey {
    /// Parses a SEC1 point (compressed or uncompressed) or a SubjectPublicKeyInfo DER document.
    pub fn from_public_point(curve: EcdsaCurve, bytes: &[u8]) -> Result<Self, CryptoError> {
        let key = UnparsedPublicKey::new(curve.verification(), bytes)
            .parse()
            .map_err(|_| CryptoError::InvalidInput)?;
        Ok(Self { curve, key })
    }

    /// The curve of this key.
    pub fn curve(&self) -> EcdsaCurve {
        self.curve
    }

    /// Verifies a DER signature over the hashed message.
    pub fn verify(&self, hasher: MessageHasher, signature: &[u8]) -> Result<(), CryptoError> {
        if hasher.curve != self.curve {
            return Err(CryptoError::AuthenticationFailed);
        }
        let digest = hasher.context.finish();
        self.key
            .verify_digest_sig(&digest, signature)
            .map_err(|_| CryptoError::AuthenticationFailed)
    }

    /// Verifies a DER signature over `message`.
    pub fn verify_message(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let mut hasher = MessageHasher::new(self.curve);
        hasher.update(message);
        self.verify(hasher, signature)
    }
}

/// SEC1 (section 2.3.3) re-encoding: `04 || X || Y` becomes `02 || X` or `03 || X` by the
/// parity of Y. A change of format only; the point is the one aws-lc computed.
fn compress_sec1_point(uncompressed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (&form, coordinates) = uncompressed.split_first().ok_or(CryptoError::InvalidInput)?;
    if form != 0x04 || coordinates.is_empty() || coordinates.len() % 2 != 0 {
        return Err(CryptoError::InvalidInput);
    }
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    let y_parity = y.last().map_or(0, |last| last & 1);
    let mut compressed = Vec::with_capacity(1 + x.len());
    compressed.push(0x02 | y_parity);
    compressed.extend_from_slice(x);
    Ok(compressed)
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::{AsBigEndian, EcPublicKeyCompressedBin};

    use super::*;

    #[test]
    fn compressed_point_matches_aws_lc() {
        for curve in [EcdsaCurve::P256, EcdsaCurve::P384] {
            for _ in 0..32 {
                let key = EcdsaSigningKey::generate(curve).unwrap();
                let from_aws_lc: EcPublicKeyCompressedBin<'static> =
                    key.pair.public_key().as_be_bytes().unwrap();
                assert_eq!(key.public_point_compressed().unwrap(), from_aws_lc.as_ref());
            }
        }
        for malformed in [&[][..], &[4][..], &[4, 1, 2, 3][..], &[2, 1, 2][..]] {
            assert!(compress_sec1_point(malformed).is_err(), "{malformed:?}");
        }
    }

    #[test]
    fn sign_and_verify_both_curves() {
        for curve in [EcdsaCurve::P256, EcdsaCurve::P384] {
            let key = EcdsaSigningKey::generate(curve).unwrap();
            let point = key.public_point_compressed().unwrap();
            assert_eq!(point.len(), curve.compressed_point_len());
            let signature = key.sign_message(b"message").unwrap();
            assert!(signature.len() <= curve.max_signature_len());
            let public = EcdsaVerifyingKey::from_public_point(curve, &point).unwrap();
            public.verify_message(b"message", &signature).unwrap();
            assert!(public.verify_message(b"massage", &signature).is_err());
            let der = EcdsaVerifyingKey::from_public_point(curve, &key.public_key_der().unwrap())
                .unwrap();
            der.verify_message(b"message", &signature).unwrap();
            let reloaded =
                EcdsaSigningKey::from_der(curve, key.to_pkcs8_der().unwrap().expose_secret())
                    .unwrap();
            assert_eq!(reloaded.public_point_compressed().unwrap(), point);
        }
    }

    #[test]
    fn refuses_wrong_curve_and_bad_points() {
        let key = EcdsaSigningKey::generate(EcdsaCurve::P256).unwrap();
        let point = key.public_point_compressed().unwrap();
        assert!(EcdsaVerifyingKey::from_public_point(EcdsaCurve::P384, &point).is_err());
        // An arbitrary x may or may not lie on the curve; either way parsing must not panic.
        let _ = EcdsaVerifyingKey::from_public_point(EcdsaCurve::P256, &[2u8; 33]);
        assert!(EcdsaVerifyingKey::from_public_point(EcdsaCurve::P256, b"").is_err());
        assert!(key.sign(MessageHasher::new(EcdsaCurve::P384)).is_err());
    }
}
