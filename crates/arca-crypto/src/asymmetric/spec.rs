//! The key pair specs and signing algorithms, by their AWS names, and what each means to
//! aws-lc.

use aws_lc_rs::digest;
use aws_lc_rs::kem;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, RsaParameters, RsaSignatureEncoding};
use aws_lc_rs::{agreement, signature::VerificationAlgorithm};

use crate::CryptoError;

/// The asymmetric key pair specs of AWS KMS that aws-lc offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPairSpec {
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// NIST P-256 (secp256r1).
    EccNistP256,
    /// NIST P-384 (secp384r1).
    EccNistP384,
    /// NIST P-521 (secp521r1).
    EccNistP521,
    /// SECG secp256k1, the curve of Bitcoin and Ethereum.
    EccSecgP256k1,
    /// Ed25519 (RFC 8032).
    EccNistEdwards25519,
    /// ML-DSA-44 (FIPS 204).
    MlDsa44,
    /// ML-DSA-65 (FIPS 204).
    MlDsa65,
    /// ML-DSA-87 (FIPS 204).
    MlDsa87,
    /// ML-KEM-512 (FIPS 203).
    MlKem512,
    /// ML-KEM-768 (FIPS 203).
    MlKem768,
    /// ML-KEM-1024 (FIPS 203).
    MlKem1024,
}

impl KeyPairSpec {
    /// Every spec, in declaration order.
    pub const ALL: [KeyPairSpec; 14] = [
        KeyPairSpec::Rsa2048,
        KeyPairSpec::Rsa3072,
        KeyPairSpec::Rsa4096,
        KeyPairSpec::EccNistP256,
        KeyPairSpec::EccNistP384,
        KeyPairSpec::EccNistP521,
        KeyPairSpec::EccSecgP256k1,
        KeyPairSpec::EccNistEdwards25519,
        KeyPairSpec::MlDsa44,
        KeyPairSpec::MlDsa65,
        KeyPairSpec::MlDsa87,
        KeyPairSpec::MlKem512,
        KeyPairSpec::MlKem768,
        KeyPairSpec::MlKem1024,
    ];

    /// The AWS KeySpec name, e.g. `"RSA_2048"`, `"ECC_NIST_P256"`, `"ECC_SECG_P256K1"`,
    /// `"ECC_NIST_EDWARDS25519"`, `"ML_DSA_65"`, `"ML_KEM_768"`.
    pub fn name(self) -> &'static str {
        match self {
            KeyPairSpec::Rsa2048 => "RSA_2048",
            KeyPairSpec::Rsa3072 => "RSA_3072",
            KeyPairSpec::Rsa4096 => "RSA_4096",
            KeyPairSpec::EccNistP256 => "ECC_NIST_P256",
            KeyPairSpec::EccNistP384 => "ECC_NIST_P384",
            KeyPairSpec::EccNistP521 => "ECC_NIST_P521",
            KeyPairSpec::EccSecgP256k1 => "ECC_SECG_P256K1",
            KeyPairSpec::EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
            KeyPairSpec::MlDsa44 => "ML_DSA_44",
            KeyPairSpec::MlDsa65 => "ML_DSA_65",
            KeyPairSpec::MlDsa87 => "ML_DSA_87",
            KeyPairSpec::MlKem512 => "ML_KEM_512",
            KeyPairSpec::MlKem768 => "ML_KEM_768",
            KeyPairSpec::MlKem1024 => "ML_KEM_1024",
        }
    }

    /// The spec with this AWS KeySpec name, if it is one of [`KeyPairSpec::ALL`].
    pub fn from_name(name: &str) -> Option<Self> {
        KeyPairSpec::ALL.into_iter().find(|spec| spec.name() == name)
    }

    /// The signing algorithms AWS KMS allows for the spec, in the order DescribeKey lists
    /// them: for RSA the three PKCS #1 v1.5 algorithms, then the three PSS ones. Empty for
    /// ML-KEM.
    pub fn signing_algorithms(self) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm as Alg;
        match self {
            KeyPairSpec::Rsa2048 | KeyPairSpec::Rsa3072 | KeyPairSpec::Rsa4096 => &[
                Alg::RsassaPkcs1V15Sha256,
                Alg::RsassaPkcs1V15Sha384,
                Alg::RsassaPkcs1V15Sha512,
                Alg::RsassaPssSha256,
                Alg::RsassaPssSha384,
                Alg::RsassaPssSha512,
            ],
            KeyPairSpec::EccNistP256 | KeyPairSpec::EccSecgP256k1 => &[Alg::EcdsaSha256],
            KeyPairSpec::EccNistP384 => &[Alg::EcdsaSha384],
            KeyPairSpec::EccNistP521 => &[Alg::EcdsaSha512],
            KeyPairSpec::EccNistEdwards25519 => &[Alg::Ed25519Sha512, Alg::Ed25519PhSha512],
            KeyPairSpec::MlDsa44 | KeyPairSpec::MlDsa65 | KeyPairSpec::MlDsa87 => {
                &[Alg::MlDsaShake256]
            }
            KeyPairSpec::MlKem512 | KeyPairSpec::MlKem768 | KeyPairSpec::MlKem1024 => &[],
        }
    }

    /// What the spec is, as aws-lc sees it.
    pub(super) fn kind(self) -> Kind {
        match self {
            KeyPairSpec::Rsa2048 => Kind::Rsa { key_size: KeySize::Rsa2048, bits: 2048 },
            KeyPairSpec::Rsa3072 => Kind::Rsa { key_size: KeySize::Rsa3072, bits: 3072 },
            KeyPairSpec::Rsa4096 => Kind::Rsa { key_size: KeySize::Rsa4096, bits: 4096 },
            KeyPairSpec::EccNistP256 => Kind::Ecdsa(EcdsaParameters {
                signing: &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                verification: &signature::ECDSA_P256_SHA256_ASN1,
                agreement: Some(&agreement::ECDH_P256),
            }),
            KeyPairSpec::EccNistP384 => Kind::Ecdsa(EcdsaParameters {
                signing: &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                verification: &signature::ECDSA_P384_SHA384_ASN1,
                agreement: Some(&agreement::ECDH_P384),
            }),
            KeyPairSpec::EccNistP521 => Kind::Ecdsa(EcdsaParameters {
                signing: &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
                verification: &signature::ECDSA_P521_SHA512_ASN1,
                agreement: Some(&agreement::ECDH_P521),
            }),
            // aws-lc-rs's `agreement` offers no secp256k1; AWS KMS allows this spec only
            // for SIGN_VERIFY anyway.
            KeyPairSpec::EccSecgP256k1 => Kind::Ecdsa(EcdsaParameters {
                signing: &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
                verification: &signature::ECDSA_P256K1_SHA256_ASN1,
                agreement: None,
            }),
            KeyPairSpec::EccNistEdwards25519 => Kind::Ed25519,
            KeyPairSpec::MlDsa44 => Kind::MlDsa(MlDsaParameters {
                signing: &signature::ML_DSA_44_SIGNING,
                verification: &signature::ML_DSA_44,
            }),
            KeyPairSpec::MlDsa65 => Kind::MlDsa(MlDsaParameters {
                signing: &signature::ML_DSA_65_SIGNING,
                verification: &signature::ML_DSA_65,
            }),
            KeyPairSpec::MlDsa87 => Kind::MlDsa(MlDsaParameters {
                signing: &signature::ML_DSA_87_SIGNING,
                verification: &signature::ML_DSA_87,
            }),
            KeyPairSpec::MlKem512 => Kind::MlKem(MlKemParameters {
                algorithm: &kem::ML_KEM_512,
                oid: &ML_KEM_512_OID,
                encapsulation_key_len: 800,
                decapsulation_key_len: 1632,
            }),
            KeyPairSpec::MlKem768 => Kind::MlKem(MlKemParameters {
                algorithm: &kem::ML_KEM_768,
                oid: &ML_KEM_768_OID,
                encapsulation_key_len: 1184,
                decapsulation_key_len: 2400,
            }),
            KeyPairSpec::MlKem1024 => Kind::MlKem(MlKemParameters {
                algorithm: &kem::ML_KEM_1024,
                oid: &ML_KEM_1024_OID,
                encapsulation_key_len: 1568,
                decapsulation_key_len: 3168,
            }),
        }
    }
}

/// Signing algorithms, by their AWS SigningAlgorithmSpec names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// RSASSA-PSS with SHA-256, MGF1 over SHA-256 and a 32-byte salt.
    RsassaPssSha256,
    /// RSASSA-PSS with SHA-384, MGF1 over SHA-384 and a 48-byte salt.
    RsassaPssSha384,
    /// RSASSA-PSS with SHA-512, MGF1 over SHA-512 and a 64-byte salt.
    RsassaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsassaPkcs1V15Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsassaPkcs1V15Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsassaPkcs1V15Sha512,
    /// ECDSA with SHA-256; the signature is DER.
    EcdsaSha256,
    /// ECDSA with SHA-384; the signature is DER.
    EcdsaSha384,
    /// ECDSA with SHA-512; the signature is DER.
    EcdsaSha512,
    /// PureEdDSA over Ed25519 (RFC 8032), which hashes with SHA-512 inside.
    Ed25519Sha512,
    /// HashEdDSA over Ed25519 (Ed25519ph, RFC 8032) of a SHA-512 digest.
    Ed25519PhSha512,
    /// ML-DSA (FIPS 204) of the message, with an empty context; SHAKE256 inside.
    MlDsaShake256,
}

impl SigningAlgorithm {
    /// Every algorithm, in declaration order.
    pub const ALL: [SigningAlgorithm; 12] = [
        SigningAlgorithm::RsassaPssSha256,
        SigningAlgorithm::RsassaPssSha384,
        SigningAlgorithm::RsassaPssSha512,
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        SigningAlgorithm::RsassaPkcs1V15Sha384,
        SigningAlgorithm::RsassaPkcs1V15Sha512,
        SigningAlgorithm::EcdsaSha256,
        SigningAlgorithm::EcdsaSha384,
        SigningAlgorithm::EcdsaSha512,
        SigningAlgorithm::Ed25519Sha512,
        SigningAlgorithm::Ed25519PhSha512,
        SigningAlgorithm::MlDsaShake256,
    ];

    /// The AWS SigningAlgorithmSpec name: `"RSASSA_PSS_SHA_256"`,
    /// `"RSASSA_PKCS1_V1_5_SHA_256"`, `"ECDSA_SHA_256"`, `"ED25519_SHA_512"`,
    /// `"ED25519_PH_SHA_512"`, `"ML_DSA_SHAKE_256"`, ...
    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::RsassaPssSha256 => "RSASSA_PSS_SHA_256",
            SigningAlgorithm::RsassaPssSha384 => "RSASSA_PSS_SHA_384",
            SigningAlgorithm::RsassaPssSha512 => "RSASSA_PSS_SHA_512",
            SigningAlgorithm::RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
            SigningAlgorithm::RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
            SigningAlgorithm::RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
            SigningAlgorithm::EcdsaSha256 => "ECDSA_SHA_256",
            SigningAlgorithm::EcdsaSha384 => "ECDSA_SHA_384",
            SigningAlgorithm::EcdsaSha512 => "ECDSA_SHA_512",
            SigningAlgorithm::Ed25519Sha512 => "ED25519_SHA_512",
            SigningAlgorithm::Ed25519PhSha512 => "ED25519_PH_SHA_512",
            SigningAlgorithm::MlDsaShake256 => "ML_DSA_SHAKE_256",
        }
    }

    /// The algorithm with this AWS SigningAlgorithmSpec name, if it is one of
    /// [`SigningAlgorithm::ALL`].
    pub fn from_name(name: &str) -> Option<Self> {
        SigningAlgorithm::ALL.into_iter().find(|algorithm| algorithm.name() == name)
    }

    /// Length of the digest a [`SignInput::Digest`] must have (32, 48 or 64), or `None`
    /// for the algorithms that take no digest ([`SigningAlgorithm::Ed25519Sha512`],
    /// [`SigningAlgorithm::MlDsaShake256`]). [`SigningAlgorithm::Ed25519PhSha512`] takes
    /// a 64-byte SHA-512 digest.
    pub fn digest_len(self) -> Option<usize> {
        self.digest_algorithm().map(digest::Algorithm::output_len)
    }

    /// The hash a [`SignInput::Digest`] was made with.
    fn digest_algorithm(self) -> Option<&'static digest::Algorithm> {
        match self {
            SigningAlgorithm::RsassaPssSha256
            | SigningAlgorithm::RsassaPkcs1V15Sha256
            | SigningAlgorithm::EcdsaSha256 => Some(&digest::SHA256),
            SigningAlgorithm::RsassaPssSha384
            | SigningAlgorithm::RsassaPkcs1V15Sha384
            | SigningAlgorithm::EcdsaSha384 => Some(&digest::SHA384),
            SigningAlgorithm::RsassaPssSha512
            | SigningAlgorithm::RsassaPkcs1V15Sha512
            | SigningAlgorithm::EcdsaSha512
            | SigningAlgorithm::Ed25519PhSha512 => Some(&digest::SHA512),
            SigningAlgorithm::Ed25519Sha512 | SigningAlgorithm::MlDsaShake256 => None,
        }
    }

    /// The aws-lc RSA signing encoding and verification parameters. PSS salts are as long
    /// as the digest, as AWS KMS makes them.
    pub(super) fn rsa(self) -> Option<(&'static RsaSignatureEncoding, &'static RsaParameters)> {
        match self {
            SigningAlgorithm::RsassaPssSha256 => {
                Some((&signature::RSA_PSS_SHA256, &signature::RSA_PSS_2048_8192_SHA256))
            }
            SigningAlgorithm::RsassaPssSha384 => {
                Some((&signature::RSA_PSS_SHA384, &signature::RSA_PSS_2048_8192_SHA384))
            }
            SigningAlgorithm::RsassaPssSha512 => {
                Some((&signature::RSA_PSS_SHA512, &signature::RSA_PSS_2048_8192_SHA512))
            }
            SigningAlgorithm::RsassaPkcs1V15Sha256 => {
                Some((&signature::RSA_PKCS1_SHA256, &signature::RSA_PKCS1_2048_8192_SHA256))
            }
            SigningAlgorithm::RsassaPkcs1V15Sha384 => {
                Some((&signature::RSA_PKCS1_SHA384, &signature::RSA_PKCS1_2048_8192_SHA384))
            }
            SigningAlgorithm::RsassaPkcs1V15Sha512 => {
                Some((&signature::RSA_PKCS1_SHA512, &signature::RSA_PKCS1_2048_8192_SHA512))
            }
            SigningAlgorithm::EcdsaSha256
            | SigningAlgorithm::EcdsaSha384
            | SigningAlgorithm::EcdsaSha512
            | SigningAlgorithm::Ed25519Sha512
            | SigningAlgorithm::Ed25519PhSha512
            | SigningAlgorithm::MlDsaShake256 => None,
        }
    }
}

/// What is signed: the message itself, or its digest already computed by the caller.
#[derive(Debug, Clone, Copy)]
pub enum SignInput<'a> {
    /// The message; the algorithm hashes it (AWS MessageType `RAW`).
    Raw(&'a [u8]),
    /// The message's digest under the algorithm's hash (AWS MessageType `DIGEST`).
    Digest(&'a [u8]),
}

/// A [`SignInput`] checked against its spec and algorithm: what aws-lc signs or verifies.
pub(super) enum CheckedInput<'a> {
    /// The message, hashed by aws-lc.
    Message(&'a [u8]),
    /// The caller's digest, of the algorithm's hash and length.
    Digest(digest::Digest),
}

/// Checks that `algorithm` belongs to `spec` and that a digest input has its length: the
/// misuse that [`super::PrivateKey::sign`] and [`super::verify`] refuse alike.
pub(super) fn check_input<'a>(
    spec: KeyPairSpec,
    algorithm: SigningAlgorithm,
    input: SignInput<'a>,
) -> Result<CheckedInput<'a>, CryptoError> {
    if !spec.signing_algorithms().contains(&algorithm) {
        return Err(CryptoError::InvalidInput);
    }
    match input {
        SignInput::Raw(message) => Ok(CheckedInput::Message(message)),
        SignInput::Digest(bytes) => {
            let hash = algorithm.digest_algorithm().ok_or(CryptoError::InvalidInput)?;
            let digest = digest::Digest::import_less_safe(bytes, hash)
                .map_err(|_| CryptoError::InvalidInput)?;
            Ok(CheckedInput::Digest(digest))
        }
    }
}

/// The aws-lc algorithms behind a [`KeyPairSpec`].
pub(super) enum Kind {
    /// An RSA modulus size.
    Rsa {
        /// For generation.
        key_size: KeySize,
        /// For checking a loaded key.
        bits: usize,
    },
    /// A Weierstrass curve, for ECDSA and perhaps ECDH.
    Ecdsa(EcdsaParameters),
    /// Ed25519.
    Ed25519,
    /// An ML-DSA parameter set.
    MlDsa(MlDsaParameters),
    /// An ML-KEM parameter set.
    MlKem(MlKemParameters),
}

/// A curve's ECDSA (with its AWS hash) and ECDH algorithms.
pub(super) struct EcdsaParameters {
    /// Signing, DER signatures.
    pub(super) signing: &'static signature::EcdsaSigningAlgorithm,
    /// Verification, DER signatures.
    pub(super) verification: &'static signature::EcdsaVerificationAlgorithm,
    /// ECDH, where aws-lc-rs offers it for the curve.
    pub(super) agreement: Option<&'static agreement::Algorithm>,
}

/// An ML-DSA parameter set.
pub(super) struct MlDsaParameters {
    /// Signing.
    pub(super) signing: &'static signature::PqdsaSigningAlgorithm,
    /// Verification.
    pub(super) verification: &'static signature::PqdsaVerificationAlgorithm,
}

/// An ML-KEM parameter set.
pub(super) struct MlKemParameters {
    /// The aws-lc algorithm.
    pub(super) algorithm: &'static kem::Algorithm,
    /// The DER OBJECT IDENTIFIER element (tag, length, value) naming it (RFC 9935).
    pub(super) oid: &'static [u8],
    /// Bytes in the encapsulation (public) key, `384 k + 32`.
    pub(super) encapsulation_key_len: usize,
    /// Bytes in the decapsulation (private) key, `768 k + 96`.
    pub(super) decapsulation_key_len: usize,
}

impl Kind {
    /// The verification algorithm for `algorithm` under this kind, `None` when aws-lc has
    /// none (Ed25519ph) or the pair makes no sense (checked earlier by [`check_input`]).
    pub(super) fn verification(
        &self,
        algorithm: SigningAlgorithm,
    ) -> Option<&'static dyn VerificationAlgorithm> {
        match self {
            Kind::Rsa { .. } => {
                algorithm.rsa().map(|(_, verification)| verification as &dyn VerificationAlgorithm)
            }
            Kind::Ecdsa(parameters) => Some(parameters.verification),
            Kind::Ed25519 => (algorithm == SigningAlgorithm::Ed25519Sha512)
                .then_some(&signature::ED25519 as &dyn VerificationAlgorithm),
            Kind::MlDsa(parameters) => Some(parameters.verification),
            Kind::MlKem(_) => None,
        }
    }
}

/// id-alg-ml-kem-512, 2.16.840.1.101.3.4.4.1.
const ML_KEM_512_OID: [u8; 11] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x01];
/// id-alg-ml-kem-768, 2.16.840.1.101.3.4.4.2.
const ML_KEM_768_OID: [u8; 11] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02];
/// id-alg-ml-kem-1024, 2.16.840.1.101.3.4.4.3.
const ML_KEM_1024_OID: [u8; 11] =
    [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x03];
