//! What anyone holding a public key (a DER SubjectPublicKeyInfo, as GetPublicKey returns
//! it) can do: verify, encrypt with RSA OAEP, encapsulate with ML-KEM.

use aws_lc_rs::kem::EncapsulationKey;
use aws_lc_rs::signature::{self, ParsedPublicKey};

use super::private_key::check_oaep;
use super::spec::{CheckedInput, Kind, check_input};
use super::{KeyPairSpec, SignInput, SigningAlgorithm, spki};
use crate::rsa::{RsaPadding, RsaPublicKey};
use crate::{CryptoError, SecretBytes};

/// Verifies `signature` over `input` with `public_der`, a DER SubjectPublicKeyInfo public
/// key of `spec`.
///
/// `Ok(true)` for a good signature, `Ok(false)` for a bad one, including any malformed
/// signature. [`CryptoError::InvalidInput`] for the misuse [`super::PrivateKey::sign`]
/// refuses (an algorithm not of the spec, a digest of the wrong length or for an algorithm
/// that takes none), and for a public key that does not parse as a SubjectPublicKeyInfo of
/// the spec (another algorithm, curve, RSA modulus size or ML-DSA parameter set).
///
/// [`SigningAlgorithm::Ed25519PhSha512`] gives [`CryptoError::Unspecified`]: aws-lc-rs 1.19
/// has no safe API for Ed25519ph.
pub fn verify(
    spec: KeyPairSpec,
    public_der: &[u8],
    algorithm: SigningAlgorithm,
    input: SignInput<'_>,
    signature: &[u8],
) -> Result<bool, CryptoError> {
    let input = check_input(spec, algorithm, input)?;
    spki::parse(public_der)?;
    let kind = spec.kind();
    if let Kind::Rsa { bits, .. } = kind
        && RsaPublicKey::from_der(public_der)?.size_bits() != bits
    {
        return Err(CryptoError::InvalidInput);
    }
    if algorithm == SigningAlgorithm::Ed25519PhSha512 {
        // A key that is not Ed25519 is still the caller's error.
        ParsedPublicKey::new(&signature::ED25519, public_der)
            .map_err(|_| CryptoError::InvalidInput)?;
        return Err(CryptoError::Unspecified);
    }
    let verification = kind.verification(algorithm).ok_or(CryptoError::InvalidInput)?;
    let key =
        ParsedPublicKey::new(verification, public_der).map_err(|_| CryptoError::InvalidInput)?;
    let outcome = match input {
        CheckedInput::Message(message) => key.verify_sig(message, signature),
        CheckedInput::Digest(digest) => key.verify_digest_sig(&digest, signature),
    };
    Ok(outcome.is_ok())
}

/// RSAES-OAEP encryption of `plaintext` to `public_der`, a DER SubjectPublicKeyInfo RSA
/// public key: what a client does with GetPublicKey's output. Only
/// [`RsaPadding::OaepSha1`] and [`RsaPadding::OaepSha256`] are allowed. A plaintext longer
/// than [`max_oaep_plaintext`], another padding, or a key that is not an RSA
/// SubjectPublicKeyInfo is [`CryptoError::InvalidInput`].
pub fn encrypt(
    public_der: &[u8],
    padding: RsaPadding,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    check_oaep(padding)?;
    spki::parse(public_der)?;
    RsaPublicKey::from_der(public_der)?.encrypt(padding, plaintext)
}

/// ML-KEM encapsulation to `public_der`, a DER SubjectPublicKeyInfo encapsulation key of
/// `spec`: the ciphertext and the shared secret. A spec that is not ML-KEM, or a key of
/// another parameter set or malformed, is [`CryptoError::InvalidInput`].
pub fn encapsulate(
    spec: KeyPairSpec,
    public_der: &[u8],
) -> Result<(Vec<u8>, SecretBytes), CryptoError> {
    let Kind::MlKem(parameters) = spec.kind() else {
        return Err(CryptoError::InvalidInput);
    };
    let info = spki::parse(public_der)?;
    if info.algorithm != parameters.oid {
        return Err(CryptoError::InvalidInput);
    }
    let key = EncapsulationKey::new(parameters.algorithm, info.public_key)
        .map_err(|_| CryptoError::InvalidInput)?;
    let (ciphertext, secret) = key.encapsulate()?;
    Ok((ciphertext.as_ref().to_vec(), SecretBytes::from_slice(secret.as_ref())))
}

/// The longest plaintext RSAES-OAEP takes for the spec's modulus and `padding`,
/// `k - 2 hLen - 2` bytes: 214 for RSA_2048 with SHA-1, 190 with SHA-256, and so on.
/// `None` for specs that are not RSA and for paddings other than
/// [`RsaPadding::OaepSha1`] and [`RsaPadding::OaepSha256`], which [`encrypt`] refuses.
pub fn max_oaep_plaintext(spec: KeyPairSpec, padding: RsaPadding) -> Option<usize> {
    let Kind::Rsa { bits, .. } = spec.kind() else {
        return None;
    };
    let hash_len = match padding {
        RsaPadding::OaepSha1 => 20,
        RsaPadding::OaepSha256 => 32,
        RsaPadding::Pkcs1 | RsaPadding::OaepSha384 | RsaPadding::OaepSha512 => return None,
    };
    Some(bits / 8 - 2 * hash_len - 2)
}
