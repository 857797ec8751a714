//! [`PrivateKey`]: a private key of any [`KeyPairSpec`], and what it does.

use aws_lc_rs::agreement;
use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::kem::{Ciphertext, DecapsulationKey, EncapsulationKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, PqdsaKeyPair, RsaKeyPair};

use super::spec::{CheckedInput, Kind, MlKemParameters, check_input};
use super::{KeyPairSpec, SignInput, SigningAlgorithm, spki};
use crate::rsa::{RsaPadding, RsaPrivateKey};
use crate::{CryptoError, SecretBytes, ct_eq};

/// A private key of any spec. It zeroizes inside aws-lc when dropped; `Debug` prints the
/// spec and `[REDACTED]`; its bytes leave only as [`SecretBytes`].
pub struct PrivateKey {
    spec: KeyPairSpec,
    material: Material,
}

/// The aws-lc key behind a [`PrivateKey`]; always of the kind its spec names.
enum Material {
    /// One RSA key, held as aws-lc's signing and decrypting types.
    Rsa {
        signing: RsaKeyPair,
        decrypting: RsaPrivateKey,
    },
    /// A key on the curve of the spec; signs with the spec's hash.
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    MlDsa(PqdsaKeyPair),
    /// The FIPS 203 decapsulation key, and the SubjectPublicKeyInfo of the encapsulation
    /// key it embeds.
    MlKem {
        decapsulation_key: DecapsulationKey,
        public_key_der: Box<[u8]>,
    },
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, [REDACTED])", self.spec.name())
    }
}

impl PrivateKey {
    /// A fresh key. RSA 4096 takes a while (up to seconds); callers run it off the async
    /// executor.
    pub fn generate(spec: KeyPairSpec) -> Result<Self, CryptoError> {
        let material = match spec.kind() {
            Kind::Rsa { key_size, .. } => rsa_material(RsaKeyPair::generate(key_size)?)?,
            Kind::Ecdsa(parameters) => Material::Ecdsa(EcdsaKeyPair::generate(parameters.signing)?),
            Kind::Ed25519 => Material::Ed25519(Ed25519KeyPair::generate()?),
            Kind::MlDsa(parameters) => Material::MlDsa(PqdsaKeyPair::generate(parameters.signing)?),
            Kind::MlKem(parameters) => {
                let generated = DecapsulationKey::generate(parameters.algorithm)?;
                ml_kem_material(&parameters, generated.key_bytes()?.as_ref())?
            }
        };
        Ok(Self { spec, material })
    }

    /// Loads the bytes [`PrivateKey::to_private_bytes`] produced and, for every spec but
    /// ML-KEM, any standard unencrypted PKCS #8 (v1 or v2) DER private key of the spec, such
    /// as Python `cryptography` or `openssl pkcs8 -topk8 -outform DER` write (for ML-DSA,
    /// the seed-only or seed-and-expanded forms of RFC 9881). Bare RFC 5915 EC and PKCS #1
    /// RSA keys are refused, as AWS ImportKeyMaterial refuses them.
    ///
    /// Refuses with [`CryptoError::InvalidInput`] bytes that are not a key of `spec`: another
    /// algorithm, curve, RSA modulus size or ML parameter set; an ML-KEM key whose embedded
    /// hash of its encapsulation key is wrong; and an ML-DSA key without its seed (the
    /// expanded-only form), which aws-lc could load but not write back for storage.
    pub fn from_private_bytes(spec: KeyPairSpec, der: &[u8]) -> Result<Self, CryptoError> {
        let invalid = |_| CryptoError::InvalidInput;
        let material = match spec.kind() {
            Kind::Rsa { bits, .. } => {
                let signing = RsaKeyPair::from_pkcs8(der).map_err(invalid)?;
                let decrypting = RsaPrivateKey::from_der(der)?;
                if decrypting.size_bits() != bits {
                    return Err(CryptoError::InvalidInput);
                }
                Material::Rsa { signing, decrypting }
            }
            Kind::Ecdsa(parameters) => {
                Material::Ecdsa(EcdsaKeyPair::from_pkcs8(parameters.signing, der).map_err(invalid)?)
            }
            Kind::Ed25519 => Material::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(invalid)?),
            Kind::MlDsa(parameters) => {
                let pair = PqdsaKeyPair::from_pkcs8(parameters.signing, der).map_err(invalid)?;
                pair.to_pkcs8v1().map_err(|_| CryptoError::InvalidInput)?;
                Material::MlDsa(pair)
            }
            Kind::MlKem(parameters) => ml_kem_material(&parameters, der)?,
        };
        Ok(Self { spec, material })
    }

    /// Loads a PEM private key in the form key files and KMS seed files carry it:
    /// PKCS #8 (`PRIVATE KEY`), PKCS #1 (`RSA PRIVATE KEY`) or SEC 1 (`EC PRIVATE KEY`),
    /// as the first of `specs` it is a key of. [`CryptoError::InvalidInput`] when it is a
    /// key of none of them.
    pub fn from_pem(pem: &[u8], specs: &[KeyPairSpec]) -> Result<Self, CryptoError> {
        let (label, der) = crate::rsa::pem_decode(pem)?;
        let pkcs8 = |spec: KeyPairSpec| -> Option<Vec<u8>> {
            match (label.as_str(), spec.kind()) {
                ("PRIVATE KEY", _) => Some(der.clone()),
                ("RSA PRIVATE KEY", Kind::Rsa { .. }) => {
                    Some(RsaKeyPair::from_der(&der).ok()?.as_der().ok()?.as_ref().to_vec())
                }
                ("EC PRIVATE KEY", Kind::Ecdsa(parameters)) => Some(
                    EcdsaKeyPair::from_private_key_der(parameters.signing, &der)
                        .ok()?
                        .to_pkcs8v1()
                        .ok()?
                        .as_ref()
                        .to_vec(),
                ),
                _ => None,
            }
        };
        specs
            .iter()
            .find_map(|spec| Self::from_private_bytes(*spec, &pkcs8(*spec)?).ok())
            .ok_or(CryptoError::InvalidInput)
    }

    /// The private key for storage, which [`PrivateKey::from_private_bytes`] loads: PKCS #8
    /// v1 DER for RSA, EC, Ed25519 and ML-DSA (the seed form), the same bytes as
    /// [`PrivateKey::to_pkcs8_der`]. For ML-KEM, the raw FIPS 203 decapsulation key
    /// (`dk`, 1632, 2400 or 3168 bytes, with the encapsulation key inside it).
    pub fn to_private_bytes(&self) -> Result<SecretBytes, CryptoError> {
        match &self.material {
            Material::MlKem { decapsulation_key, .. } => {
                Ok(SecretBytes::from_slice(decapsulation_key.key_bytes()?.as_ref()))
            }
            Material::Rsa { .. }
            | Material::Ecdsa(_)
            | Material::Ed25519(_)
            | Material::MlDsa(_) => self.to_pkcs8_der(),
        }
    }

    /// The key as standard PKCS #8 v1 DER, what AWS GenerateDataKeyPair returns as
    /// `PrivateKeyPlaintext`.
    ///
    /// ML-KEM keys give [`CryptoError::Unspecified`]: aws-lc-rs 1.19 has no PKCS #8
    /// encoder for them.
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes, CryptoError> {
        let document = match &self.material {
            Material::Rsa { signing, .. } => SecretBytes::from_slice(signing.as_der()?.as_ref()),
            Material::Ecdsa(pair) => SecretBytes::from_slice(pair.to_pkcs8v1()?.as_ref()),
            Material::Ed25519(pair) => SecretBytes::from_slice(pair.to_pkcs8v1()?.as_ref()),
            Material::MlDsa(pair) => SecretBytes::from_slice(pair.to_pkcs8v1()?.as_ref()),
            Material::MlKem { .. } => return Err(CryptoError::Unspecified),
        };
        Ok(document)
    }

    /// The spec of this key.
    pub fn spec(&self) -> KeyPairSpec {
        self.spec
    }

    /// The public key as DER SubjectPublicKeyInfo (X.509), as AWS GetPublicKey returns it:
    /// `rsaEncryption`, `id-ecPublicKey` with the named curve, `id-Ed25519`, and the NIST
    /// OIDs of ML-DSA (2.16.840.1.101.3.4.3.17 to .19) and ML-KEM (2.16.840.1.101.3.4.4.1
    /// to .3) with absent parameters.
    pub fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        let der = match &self.material {
            Material::Rsa { signing, .. } => signing.public_key().as_der()?.as_ref().to_vec(),
            Material::Ecdsa(pair) => pair.public_key().as_der()?.as_ref().to_vec(),
            Material::Ed25519(pair) => pair.public_key().as_der()?.as_ref().to_vec(),
            Material::MlDsa(pair) => pair.public_key().as_der()?.as_ref().to_vec(),
            Material::MlKem { public_key_der, .. } => public_key_der.to_vec(),
        };
        Ok(der)
    }

    /// Signs `input` with `algorithm`.
    ///
    /// Refuses with [`CryptoError::InvalidInput`] an algorithm that is not among the spec's
    /// [`KeyPairSpec::signing_algorithms`], a [`SignInput::Digest`] of the wrong length,
    /// and a digest for [`SigningAlgorithm::Ed25519Sha512`] or
    /// [`SigningAlgorithm::MlDsaShake256`], which sign only whole messages.
    ///
    /// RSA PSS salts are as long as the digest, as in AWS KMS; ECDSA signatures are DER
    /// (ASN.1), as AWS returns them; ML-DSA signs with an empty context.
    ///
    /// [`SigningAlgorithm::Ed25519PhSha512`] gives [`CryptoError::Unspecified`]: aws-lc-rs
    /// 1.19 has no safe API for Ed25519ph, and this crate forbids `unsafe`.
    pub fn sign(
        &self,
        algorithm: SigningAlgorithm,
        input: SignInput<'_>,
    ) -> Result<Vec<u8>, CryptoError> {
        let input = check_input(self.spec, algorithm, input)?;
        let signature = match &self.material {
            Material::Rsa { signing, .. } => {
                let (encoding, _) = algorithm.rsa().ok_or(CryptoError::InvalidInput)?;
                let mut signature = vec![0u8; signing.public_modulus_len()];
                match input {
                    CheckedInput::Message(message) => {
                        signing.sign(encoding, &SystemRandom::new(), message, &mut signature)?
                    }
                    CheckedInput::Digest(digest) => {
                        signing.sign_digest(encoding, &digest, &mut signature)?
                    }
                }
                signature
            }
            Material::Ecdsa(pair) => {
                let signature = match input {
                    CheckedInput::Message(message) => pair.sign(&SystemRandom::new(), message)?,
                    CheckedInput::Digest(digest) => pair.sign_digest(&digest)?,
                };
                signature.as_ref().to_vec()
            }
            Material::Ed25519(pair) => match input {
                CheckedInput::Message(message) if algorithm == SigningAlgorithm::Ed25519Sha512 => {
                    pair.try_sign(message)?.as_ref().to_vec()
                }
                // Ed25519ph, which aws-lc-rs cannot do.
                CheckedInput::Message(_) | CheckedInput::Digest(_) => {
                    return Err(CryptoError::Unspecified);
                }
            },
            Material::MlDsa(pair) => match input {
                CheckedInput::Message(message) => {
                    let mut signature = vec![0u8; pair.algorithm().signature_len()];
                    let len = pair.sign(message, &mut signature)?;
                    signature.truncate(len);
                    signature
                }
                CheckedInput::Digest(_) => return Err(CryptoError::InvalidInput),
            },
            Material::MlKem { .. } => return Err(CryptoError::InvalidInput),
        };
        Ok(signature)
    }

    /// Decrypts an RSAES-OAEP ciphertext. Only [`RsaPadding::OaepSha1`] and
    /// [`RsaPadding::OaepSha256`] (AWS `RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256`) are
    /// allowed; another padding, or a key that is not RSA, is
    /// [`CryptoError::InvalidInput`]. Every failure to decrypt is the same
    /// [`CryptoError::AuthenticationFailed`].
    pub fn decrypt(
        &self,
        padding: RsaPadding,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, CryptoError> {
        check_oaep(padding)?;
        match &self.material {
            Material::Rsa { decrypting, .. } => decrypting.decrypt(padding, ciphertext),
            Material::Ecdsa(_)
            | Material::Ed25519(_)
            | Material::MlDsa(_)
            | Material::MlKem { .. } => Err(CryptoError::InvalidInput),
        }
    }

    /// ECDH (ECC_NIST_P256, P384, P521) with the peer's DER SubjectPublicKeyInfo public
    /// key: the raw shared secret, the x-coordinate of the shared point, as AWS
    /// DeriveSharedSecret returns it.
    ///
    /// [`CryptoError::InvalidInput`] for a peer key that is malformed, not a
    /// SubjectPublicKeyInfo, or on another curve, and for keys of other specs, including
    /// ECC_SECG_P256K1: aws-lc-rs 1.19 offers no secp256k1 ECDH (nor does AWS KMS).
    pub fn derive_shared_secret(&self, peer_public_der: &[u8]) -> Result<SecretBytes, CryptoError> {
        let (Material::Ecdsa(pair), Kind::Ecdsa(parameters)) = (&self.material, self.spec.kind())
        else {
            return Err(CryptoError::InvalidInput);
        };
        let algorithm = parameters.agreement.ok_or(CryptoError::InvalidInput)?;
        spki::parse(peer_public_der)?;
        let pkcs8 = pair.to_pkcs8v1()?;
        let private = agreement::PrivateKey::from_private_key_der(algorithm, pkcs8.as_ref())
            .map_err(|_| CryptoError::Unspecified)?;
        let peer = agreement::UnparsedPublicKey::new(algorithm, peer_public_der);
        agreement::agree(&private, peer, CryptoError::InvalidInput, |secret| {
            Ok(SecretBytes::from_slice(secret))
        })
    }

    /// ML-KEM decapsulation: the shared secret of `ciphertext`. A ciphertext of the wrong
    /// length, or a key of another spec, is [`CryptoError::InvalidInput`]; a ciphertext of
    /// the right length always yields a secret (ML-KEM rejects implicitly).
    pub fn decapsulate(&self, ciphertext: &[u8]) -> Result<SecretBytes, CryptoError> {
        match &self.material {
            Material::MlKem { decapsulation_key, .. } => {
                let secret = decapsulation_key
                    .decapsulate(Ciphertext::from(ciphertext))
                    .map_err(|_| CryptoError::InvalidInput)?;
                Ok(SecretBytes::from_slice(secret.as_ref()))
            }
            Material::Rsa { .. }
            | Material::Ecdsa(_)
            | Material::Ed25519(_)
            | Material::MlDsa(_) => Err(CryptoError::InvalidInput),
        }
    }
}

/// Refuses the paddings AWS KMS does not offer for RSA encryption.
pub(super) fn check_oaep(padding: RsaPadding) -> Result<(), CryptoError> {
    match padding {
        RsaPadding::OaepSha1 | RsaPadding::OaepSha256 => Ok(()),
        RsaPadding::Pkcs1 | RsaPadding::OaepSha384 | RsaPadding::OaepSha512 => {
            Err(CryptoError::InvalidInput)
        }
    }
}

/// The decrypting half of an RSA key, from the PKCS #8 of its signing half.
fn rsa_material(signing: RsaKeyPair) -> Result<Material, CryptoError> {
    let pkcs8 = signing.as_der()?;
    let decrypting = RsaPrivateKey::from_der(pkcs8.as_ref())?;
    Ok(Material::Rsa { signing, decrypting })
}

/// Loads a FIPS 203 decapsulation key, `dk = dk_PKE || ek || H(ek) || z`, after the
/// hash check of FIPS 203 section 7.3: `H(ek)` (SHA3-256) must match the `ek` inside.
/// aws-lc cannot recover `ek` from a raw `dk`, so it is sliced out here.
fn ml_kem_material(parameters: &MlKemParameters, dk: &[u8]) -> Result<Material, CryptoError> {
    if dk.len() != parameters.decapsulation_key_len {
        return Err(CryptoError::InvalidInput);
    }
    let hash_start = parameters.decapsulation_key_len - 64;
    let ek_start = hash_start - parameters.encapsulation_key_len;
    let ek = dk.get(ek_start..hash_start).ok_or(CryptoError::InvalidInput)?;
    let hash = dk.get(hash_start..hash_start + 32).ok_or(CryptoError::InvalidInput)?;
    if !ct_eq(digest::digest(&digest::SHA3_256, ek).as_ref(), hash) {
        return Err(CryptoError::InvalidInput);
    }
    let invalid = |_| CryptoError::InvalidInput;
    EncapsulationKey::new(parameters.algorithm, ek).map_err(invalid)?;
    let decapsulation_key = DecapsulationKey::new(parameters.algorithm, dk).map_err(invalid)?;
    let public_key_der = spki::encode(parameters.oid, ek).into_boxed_slice();
    Ok(Material::MlKem { decapsulation_key, public_key_der })
}
