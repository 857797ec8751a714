use std::sync::OnceLock;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsDer, AsRawBytes, Pkcs8V2Der, PqdsaPrivateKeyRaw};
use aws_lc_rs::kem::DecapsulationKey;
use aws_lc_rs::signature::{Ed25519KeyPair, PqdsaKeyPair};

use super::spec::Kind;
use super::*;
use crate::rsa::{RsaPadding, der_tlv};
use crate::{CryptoError, ct_eq};

const MESSAGE: &[u8] = b"Arca signs this message";
const OTHER_MESSAGE: &[u8] = b"Arca signs this massage";

/// One generated key per spec, shared by every test: RSA 4096 is generated once.
fn key(spec: KeyPairSpec) -> &'static PrivateKey {
    static KEYS: OnceLock<Vec<PrivateKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        KeyPairSpec::ALL.into_iter().map(|spec| PrivateKey::generate(spec).unwrap()).collect()
    });
    keys.iter().find(|key| key.spec() == spec).unwrap()
}

fn public(spec: KeyPairSpec) -> Vec<u8> {
    key(spec).public_key_der().unwrap()
}

/// The digest of `message` that a DIGEST-type input of `algorithm` carries.
fn digest_for(algorithm: SigningAlgorithm, message: &[u8]) -> Vec<u8> {
    let hash = match algorithm.digest_len() {
        Some(32) => &digest::SHA256,
        Some(48) => &digest::SHA384,
        Some(64) => &digest::SHA512,
        other => panic!("{algorithm:?} takes no digest: {other:?}"),
    };
    digest::digest(hash, message).as_ref().to_vec()
}

fn is_rsa(spec: KeyPairSpec) -> bool {
    matches!(spec.kind(), Kind::Rsa { .. })
}

fn is_ml_kem(spec: KeyPairSpec) -> bool {
    matches!(spec.kind(), Kind::MlKem(_))
}

#[test]
fn names_are_the_aws_names() {
    let specs = [
        (KeyPairSpec::Rsa2048, "RSA_2048"),
        (KeyPairSpec::Rsa3072, "RSA_3072"),
        (KeyPairSpec::Rsa4096, "RSA_4096"),
        (KeyPairSpec::EccNistP256, "ECC_NIST_P256"),
        (KeyPairSpec::EccNistP384, "ECC_NIST_P384"),
        (KeyPairSpec::EccNistP521, "ECC_NIST_P521"),
        (KeyPairSpec::EccSecgP256k1, "ECC_SECG_P256K1"),
        (KeyPairSpec::EccNistEdwards25519, "ECC_NIST_EDWARDS25519"),
        (KeyPairSpec::MlDsa44, "ML_DSA_44"),
        (KeyPairSpec::MlDsa65, "ML_DSA_65"),
        (KeyPairSpec::MlDsa87, "ML_DSA_87"),
        (KeyPairSpec::MlKem512, "ML_KEM_512"),
        (KeyPairSpec::MlKem768, "ML_KEM_768"),
        (KeyPairSpec::MlKem1024, "ML_KEM_1024"),
    ];
    assert_eq!(specs.map(|(spec, _)| spec), KeyPairSpec::ALL);
    for (spec, name) in specs {
        assert_eq!(spec.name(), name);
        assert_eq!(KeyPairSpec::from_name(name), Some(spec));
    }
    let algorithms = [
        (SigningAlgorithm::RsassaPssSha256, "RSASSA_PSS_SHA_256", Some(32)),
        (SigningAlgorithm::RsassaPssSha384, "RSASSA_PSS_SHA_384", Some(48)),
        (SigningAlgorithm::RsassaPssSha512, "RSASSA_PSS_SHA_512", Some(64)),
        (SigningAlgorithm::RsassaPkcs1V15Sha256, "RSASSA_PKCS1_V1_5_SHA_256", Some(32)),
        (SigningAlgorithm::RsassaPkcs1V15Sha384, "RSASSA_PKCS1_V1_5_SHA_384", Some(48)),
        (SigningAlgorithm::RsassaPkcs1V15Sha512, "RSASSA_PKCS1_V1_5_SHA_512", Some(64)),
        (SigningAlgorithm::EcdsaSha256, "ECDSA_SHA_256", Some(32)),
        (SigningAlgorithm::EcdsaSha384, "ECDSA_SHA_384", Some(48)),
        (SigningAlgorithm::EcdsaSha512, "ECDSA_SHA_512", Some(64)),
        (SigningAlgorithm::Ed25519Sha512, "ED25519_SHA_512", None),
        (SigningAlgorithm::Ed25519PhSha512, "ED25519_PH_SHA_512", Some(64)),
        (SigningAlgorithm::MlDsaShake256, "ML_DSA_SHAKE_256", None),
    ];
    assert_eq!(algorithms.map(|(algorithm, _, _)| algorithm), SigningAlgorithm::ALL);
    for (algorithm, name, digest_len) in algorithms {
        assert_eq!(algorithm.name(), name);
        assert_eq!(SigningAlgorithm::from_name(name), Some(algorithm));
        assert_eq!(algorithm.digest_len(), digest_len, "{name}");
    }
    for unknown in ["", "SYMMETRIC_DEFAULT", "rsa_2048", "RSA_2048 ", "HMAC_256", "SM2"] {
        assert_eq!(KeyPairSpec::from_name(unknown), None);
    }
    for unknown in ["", "RSAES_OAEP_SHA_256", "ecdsa_sha_256", "SM2DSA"] {
        assert_eq!(SigningAlgorithm::from_name(unknown), None);
    }
}

#[test]
fn signing_algorithms_are_those_aws_allows() {
    use SigningAlgorithm as Alg;
    let rsa = [
        Alg::RsassaPkcs1V15Sha256,
        Alg::RsassaPkcs1V15Sha384,
        Alg::RsassaPkcs1V15Sha512,
        Alg::RsassaPssSha256,
        Alg::RsassaPssSha384,
        Alg::RsassaPssSha512,
    ];
    let cases: [(KeyPairSpec, &[Alg]); 14] = [
        (KeyPairSpec::Rsa2048, &rsa),
        (KeyPairSpec::Rsa3072, &rsa),
        (KeyPairSpec::Rsa4096, &rsa),
        (KeyPairSpec::EccNistP256, &[Alg::EcdsaSha256]),
        (KeyPairSpec::EccNistP384, &[Alg::EcdsaSha384]),
        (KeyPairSpec::EccNistP521, &[Alg::EcdsaSha512]),
        (KeyPairSpec::EccSecgP256k1, &[Alg::EcdsaSha256]),
        (KeyPairSpec::EccNistEdwards25519, &[Alg::Ed25519Sha512, Alg::Ed25519PhSha512]),
        (KeyPairSpec::MlDsa44, &[Alg::MlDsaShake256]),
        (KeyPairSpec::MlDsa65, &[Alg::MlDsaShake256]),
        (KeyPairSpec::MlDsa87, &[Alg::MlDsaShake256]),
        (KeyPairSpec::MlKem512, &[]),
        (KeyPairSpec::MlKem768, &[]),
        (KeyPairSpec::MlKem1024, &[]),
    ];
    for (spec, expected) in cases {
        assert_eq!(spec.signing_algorithms(), expected, "{spec:?}");
    }
}

#[test]
fn private_bytes_round_trip_for_every_spec() {
    for spec in KeyPairSpec::ALL {
        let original = key(spec);
        let bytes = original.to_private_bytes().unwrap();
        let loaded = PrivateKey::from_private_bytes(spec, bytes.expose_secret()).unwrap();
        assert_eq!(loaded.spec(), spec);
        let public = original.public_key_der().unwrap();
        assert_eq!(loaded.public_key_der().unwrap(), public, "{spec:?}");
        assert!(ct_eq(loaded.to_private_bytes().unwrap().expose_secret(), bytes.expose_secret()));
        for &algorithm in spec.signing_algorithms() {
            if algorithm == SigningAlgorithm::Ed25519PhSha512 {
                continue;
            }
            let signature = loaded.sign(algorithm, SignInput::Raw(MESSAGE)).unwrap();
            assert_eq!(
                verify(spec, &public, algorithm, SignInput::Raw(MESSAGE), &signature),
                Ok(true)
            );
            // The deterministic schemes give the very same bytes.
            if matches!(
                algorithm,
                SigningAlgorithm::RsassaPkcs1V15Sha256 | SigningAlgorithm::Ed25519Sha512
            ) {
                assert_eq!(original.sign(algorithm, SignInput::Raw(MESSAGE)).unwrap(), signature);
            }
        }
        if is_rsa(spec) {
            let ciphertext = encrypt(&public, RsaPadding::OaepSha256, b"data key").unwrap();
            for private in [original, &loaded] {
                let plaintext = private.decrypt(RsaPadding::OaepSha256, &ciphertext).unwrap();
                assert_eq!(plaintext.expose_secret(), b"data key");
            }
        }
        if is_ml_kem(spec) {
            let (ciphertext, secret) = encapsulate(spec, &public).unwrap();
            for private in [original, &loaded] {
                let decapsulated = private.decapsulate(&ciphertext).unwrap();
                assert!(ct_eq(decapsulated.expose_secret(), secret.expose_secret()));
            }
        }
    }
}

#[test]
fn pkcs8_is_the_stored_form_except_for_ml_kem() {
    for spec in KeyPairSpec::ALL {
        let key = key(spec);
        let pkcs8 = key.to_pkcs8_der();
        if is_ml_kem(spec) {
            assert_eq!(pkcs8.err(), Some(CryptoError::Unspecified));
            let Kind::MlKem(parameters) = spec.kind() else { unreachable!() };
            assert_eq!(key.to_private_bytes().unwrap().len(), parameters.decapsulation_key_len);
        } else {
            let pkcs8 = pkcs8.unwrap();
            assert!(ct_eq(pkcs8.expose_secret(), key.to_private_bytes().unwrap().expose_secret()));
            // PrivateKeyInfo ::= SEQUENCE { version INTEGER 0, ... }
            let length_octet = pkcs8.expose_secret()[1];
            let version =
                if length_octet < 0x80 { 2 } else { 2 + usize::from(length_octet & 0x7f) };
            assert_eq!(pkcs8.expose_secret()[0], 0x30);
            assert_eq!(
                &pkcs8.expose_secret()[version..version + 3],
                [0x02, 0x01, 0x00],
                "{spec:?}"
            );
        }
    }
}

/// `signature` verifies over `input`, and not when one bit of it flips, when it is cut
/// short, or over `other`.
fn check_verifies(
    spec: KeyPairSpec,
    algorithm: SigningAlgorithm,
    input: SignInput<'_>,
    other: SignInput<'_>,
    signature: &[u8],
) {
    let public = public(spec);
    let context = format!("{spec:?} {algorithm:?} {input:?}");
    assert_eq!(verify(spec, &public, algorithm, input, signature), Ok(true), "{context}");
    assert_eq!(verify(spec, &public, algorithm, other, signature), Ok(false), "{context}");
    for bit in [0, 7, signature.len() * 4, signature.len() * 8 - 1] {
        let mut flipped = signature.to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(verify(spec, &public, algorithm, input, &flipped), Ok(false), "{context} {bit}");
    }
    for malformed in [&[][..], &signature[..signature.len() - 1], &[0x30, 0x00], &[0u8; 64]] {
        assert_eq!(verify(spec, &public, algorithm, input, malformed), Ok(false), "{context}");
    }
    let mut longer = signature.to_vec();
    longer.push(0);
    assert_eq!(verify(spec, &public, algorithm, input, &longer), Ok(false), "{context}");
}

#[test]
fn every_allowed_pair_signs_and_verifies() {
    for spec in KeyPairSpec::ALL {
        let key = key(spec);
        for &algorithm in spec.signing_algorithms() {
            if algorithm == SigningAlgorithm::Ed25519PhSha512 {
                continue;
            }
            let raw = key.sign(algorithm, SignInput::Raw(MESSAGE)).unwrap();
            let expected_len = match spec.kind() {
                Kind::Rsa { bits, .. } => Some(bits / 8),
                Kind::Ed25519 => Some(64),
                Kind::MlDsa(parameters) => Some(parameters.signing.signature_len()),
                Kind::Ecdsa(_) | Kind::MlKem(_) => None,
            };
            if let Some(expected_len) = expected_len {
                assert_eq!(raw.len(), expected_len, "{spec:?}");
            }
            if matches!(spec.kind(), Kind::Ecdsa(_)) {
                assert_eq!(raw[0], 0x30, "ECDSA signatures are DER");
            }
            check_verifies(
                spec,
                algorithm,
                SignInput::Raw(MESSAGE),
                SignInput::Raw(OTHER_MESSAGE),
                &raw,
            );
            let public = public(spec);
            match algorithm.digest_len() {
                Some(_) => {
                    let digest = digest_for(algorithm, MESSAGE);
                    let other = digest_for(algorithm, OTHER_MESSAGE);
                    let signed = key.sign(algorithm, SignInput::Digest(&digest)).unwrap();
                    check_verifies(
                        spec,
                        algorithm,
                        SignInput::Digest(&digest),
                        SignInput::Digest(&other),
                        &signed,
                    );
                    // Signing a digest is signing the message it is the digest of.
                    assert_eq!(
                        verify(spec, &public, algorithm, SignInput::Digest(&digest), &raw),
                        Ok(true)
                    );
                    assert_eq!(
                        verify(spec, &public, algorithm, SignInput::Raw(MESSAGE), &signed),
                        Ok(true)
                    );
                }
                None => {
                    let digest = [0u8; 64];
                    assert_eq!(
                        key.sign(algorithm, SignInput::Digest(&digest)),
                        Err(CryptoError::InvalidInput)
                    );
                    assert_eq!(
                        verify(spec, &public, algorithm, SignInput::Digest(&digest), &raw),
                        Err(CryptoError::InvalidInput)
                    );
                }
            }
        }
    }
}

#[test]
fn ed25519ph_is_unavailable() {
    let spec = KeyPairSpec::EccNistEdwards25519;
    let algorithm = SigningAlgorithm::Ed25519PhSha512;
    let digest = digest_for(algorithm, MESSAGE);
    let key = key(spec);
    for input in [SignInput::Raw(MESSAGE), SignInput::Digest(&digest)] {
        assert_eq!(key.sign(algorithm, input), Err(CryptoError::Unspecified));
        assert_eq!(
            verify(spec, &public(spec), algorithm, input, &[0u8; 64]),
            Err(CryptoError::Unspecified)
        );
    }
    // Misuse is still misuse.
    assert_eq!(
        key.sign(algorithm, SignInput::Digest(&digest[..32])),
        Err(CryptoError::InvalidInput)
    );
    let p256 = public(KeyPairSpec::EccNistP256);
    assert_eq!(
        verify(spec, &p256, algorithm, SignInput::Raw(MESSAGE), &[0u8; 64]),
        Err(CryptoError::InvalidInput)
    );
}

#[test]
fn refuses_algorithms_of_other_specs_and_bad_digests() {
    for spec in KeyPairSpec::ALL {
        let key = key(spec);
        let public = public(spec);
        for algorithm in SigningAlgorithm::ALL {
            if spec.signing_algorithms().contains(&algorithm) {
                continue;
            }
            assert_eq!(
                key.sign(algorithm, SignInput::Raw(MESSAGE)),
                Err(CryptoError::InvalidInput),
                "{spec:?} {algorithm:?}"
            );
            assert_eq!(
                verify(spec, &public, algorithm, SignInput::Raw(MESSAGE), &[0u8; 64]),
                Err(CryptoError::InvalidInput),
                "{spec:?} {algorithm:?}"
            );
        }
        for &algorithm in spec.signing_algorithms() {
            let Some(len) = algorithm.digest_len() else { continue };
            for wrong_len in [0, 20, len - 1, len + 1] {
                let digest = vec![0u8; wrong_len];
                assert_eq!(
                    key.sign(algorithm, SignInput::Digest(&digest)),
                    Err(CryptoError::InvalidInput)
                );
                assert_eq!(
                    verify(spec, &public, algorithm, SignInput::Digest(&digest), &[0u8; 64]),
                    Err(CryptoError::InvalidInput)
                );
            }
        }
    }
}

#[test]
fn from_private_bytes_refuses_keys_of_other_specs() {
    // Among them: a P-384 key as ECC_NIST_P256, an RSA 3072 key as RSA_2048.
    for key_spec in KeyPairSpec::ALL {
        let bytes = key(key_spec).to_private_bytes().unwrap();
        for spec in KeyPairSpec::ALL {
            if spec == key_spec {
                continue;
            }
            assert_eq!(
                PrivateKey::from_private_bytes(spec, bytes.expose_secret()).err(),
                Some(CryptoError::InvalidInput),
                "{key_spec:?} as {spec:?}"
            );
        }
    }
    for spec in KeyPairSpec::ALL {
        let bytes = key(spec).to_private_bytes().unwrap();
        let bytes = bytes.expose_secret();
        for malformed in [&[][..], b"nope", &bytes[..bytes.len() - 1]] {
            assert_eq!(
                PrivateKey::from_private_bytes(spec, malformed).err(),
                Some(CryptoError::InvalidInput),
                "{spec:?}"
            );
        }
    }
}

#[test]
fn verify_refuses_public_keys_of_other_specs() {
    for spec in KeyPairSpec::ALL {
        let Some(&algorithm) = spec.signing_algorithms().first() else { continue };
        for key_spec in KeyPairSpec::ALL {
            if key_spec == spec {
                continue;
            }
            assert_eq!(
                verify(spec, &public(key_spec), algorithm, SignInput::Raw(MESSAGE), &[0u8; 64]),
                Err(CryptoError::InvalidInput),
                "{key_spec:?} key as {spec:?}"
            );
        }
        let public = public(spec);
        let subject_public_key = spki::parse(&public).unwrap().public_key.to_vec();
        for malformed in [&[][..], b"nope", &public[..public.len() - 1], &subject_public_key] {
            assert_eq!(
                verify(spec, malformed, algorithm, SignInput::Raw(MESSAGE), &[0u8; 64]),
                Err(CryptoError::InvalidInput),
                "{spec:?}"
            );
        }
    }
}

#[test]
fn rsa_oaep_round_trips_up_to_the_limit() {
    let limits = [
        (KeyPairSpec::Rsa2048, RsaPadding::OaepSha1, 214),
        (KeyPairSpec::Rsa2048, RsaPadding::OaepSha256, 190),
        (KeyPairSpec::Rsa3072, RsaPadding::OaepSha1, 342),
        (KeyPairSpec::Rsa3072, RsaPadding::OaepSha256, 318),
        (KeyPairSpec::Rsa4096, RsaPadding::OaepSha1, 470),
        (KeyPairSpec::Rsa4096, RsaPadding::OaepSha256, 446),
    ];
    for (spec, padding, limit) in limits {
        assert_eq!(max_oaep_plaintext(spec, padding), Some(limit));
        let key = key(spec);
        let public = public(spec);
        let plaintext = vec![0x5a; limit];
        let ciphertext = encrypt(&public, padding, &plaintext).unwrap();
        assert_eq!(ciphertext.len() * 8, spec_bits(spec));
        assert_eq!(key.decrypt(padding, &ciphertext).unwrap().expose_secret(), plaintext);
        assert_eq!(
            encrypt(&public, padding, &vec![0x5a; limit + 1]),
            Err(CryptoError::InvalidInput)
        );
        let other = if padding == RsaPadding::OaepSha1 {
            RsaPadding::OaepSha256
        } else {
            RsaPadding::OaepSha1
        };
        assert_eq!(key.decrypt(other, &ciphertext).err(), Some(CryptoError::AuthenticationFailed));
        let mut tampered = ciphertext.clone();
        tampered[10] ^= 1;
        assert_eq!(key.decrypt(padding, &tampered).err(), Some(CryptoError::AuthenticationFailed));
        assert_eq!(
            key.decrypt(padding, &ciphertext[1..]).err(),
            Some(CryptoError::AuthenticationFailed)
        );
    }
}

fn spec_bits(spec: KeyPairSpec) -> usize {
    match spec.kind() {
        Kind::Rsa { bits, .. } => bits,
        Kind::Ecdsa(_) | Kind::Ed25519 | Kind::MlDsa(_) | Kind::MlKem(_) => 0,
    }
}

#[test]
fn rsa_encryption_refuses_other_paddings_and_keys() {
    let spec = KeyPairSpec::Rsa2048;
    let public = public(spec);
    let ciphertext = encrypt(&public, RsaPadding::OaepSha256, b"k").unwrap();
    for padding in [RsaPadding::Pkcs1, RsaPadding::OaepSha384, RsaPadding::OaepSha512] {
        assert_eq!(max_oaep_plaintext(spec, padding), None);
        assert_eq!(encrypt(&public, padding, b"k"), Err(CryptoError::InvalidInput));
        assert_eq!(key(spec).decrypt(padding, &ciphertext).err(), Some(CryptoError::InvalidInput));
    }
    for spec in KeyPairSpec::ALL {
        if is_rsa(spec) {
            continue;
        }
        assert_eq!(max_oaep_plaintext(spec, RsaPadding::OaepSha256), None);
        assert_eq!(
            key(spec).decrypt(RsaPadding::OaepSha256, &ciphertext).err(),
            Some(CryptoError::InvalidInput)
        );
        assert_eq!(
            encrypt(&self::public(spec), RsaPadding::OaepSha256, b"k"),
            Err(CryptoError::InvalidInput)
        );
    }
    let subject_public_key = spki::parse(&public).unwrap().public_key.to_vec();
    assert_eq!(
        encrypt(&subject_public_key, RsaPadding::OaepSha256, b"k"),
        Err(CryptoError::InvalidInput)
    );
}

#[test]
fn ecdh_agrees_both_ways() {
    for (spec, secret_len) in [
        (KeyPairSpec::EccNistP256, 32),
        (KeyPairSpec::EccNistP384, 48),
        (KeyPairSpec::EccNistP521, 66),
    ] {
        let ours = key(spec);
        let theirs = PrivateKey::generate(spec).unwrap();
        let one = ours.derive_shared_secret(&theirs.public_key_der().unwrap()).unwrap();
        let other = theirs.derive_shared_secret(&ours.public_key_der().unwrap()).unwrap();
        assert_eq!(one.len(), secret_len);
        assert!(ct_eq(one.expose_secret(), other.expose_secret()), "{spec:?}");
        let third = PrivateKey::generate(spec).unwrap();
        let different = ours.derive_shared_secret(&third.public_key_der().unwrap()).unwrap();
        assert!(!ct_eq(one.expose_secret(), different.expose_secret()));
    }
}

#[test]
fn ecdh_refuses_other_curves_and_specs() {
    let p256 = key(KeyPairSpec::EccNistP256);
    let p384_public = public(KeyPairSpec::EccNistP384);
    assert_eq!(p256.derive_shared_secret(&p384_public).err(), Some(CryptoError::InvalidInput));
    let peer = public(KeyPairSpec::EccNistP256);
    let point = spki::parse(&peer).unwrap().public_key.to_vec();
    for malformed in [&[][..], b"nope", &peer[..peer.len() - 1], &point] {
        assert_eq!(p256.derive_shared_secret(malformed).err(), Some(CryptoError::InvalidInput));
    }
    for spec in KeyPairSpec::ALL {
        if matches!(
            spec,
            KeyPairSpec::EccNistP256 | KeyPairSpec::EccNistP384 | KeyPairSpec::EccNistP521
        ) {
            continue;
        }
        // Among them ECC_SECG_P256K1, which aws-lc-rs cannot do ECDH on.
        assert_eq!(
            key(spec).derive_shared_secret(&public(spec)).err(),
            Some(CryptoError::InvalidInput),
            "{spec:?}"
        );
    }
}

#[test]
fn ml_kem_encapsulates_to_the_public_key() {
    for spec in [KeyPairSpec::MlKem512, KeyPairSpec::MlKem768, KeyPairSpec::MlKem1024] {
        let key = key(spec);
        let public = public(spec);
        let (ciphertext, secret) = encapsulate(spec, &public).unwrap();
        assert_eq!(secret.len(), 32);
        let decapsulated = key.decapsulate(&ciphertext).unwrap();
        assert!(ct_eq(decapsulated.expose_secret(), secret.expose_secret()));
        // Implicit rejection: a changed ciphertext gives another secret, not an error.
        let mut tampered = ciphertext.clone();
        tampered[0] ^= 1;
        assert!(!ct_eq(
            key.decapsulate(&tampered).unwrap().expose_secret(),
            secret.expose_secret()
        ));
        assert_eq!(key.decapsulate(&ciphertext[1..]).err(), Some(CryptoError::InvalidInput));
        for other in [KeyPairSpec::MlKem512, KeyPairSpec::MlKem768, KeyPairSpec::MlKem1024] {
            if other != spec {
                assert_eq!(encapsulate(other, &public).err(), Some(CryptoError::InvalidInput));
            }
        }
        let subject_public_key = spki::parse(&public).unwrap().public_key.to_vec();
        assert_eq!(encapsulate(spec, &subject_public_key).err(), Some(CryptoError::InvalidInput));
    }
    for spec in KeyPairSpec::ALL {
        if is_ml_kem(spec) {
            continue;
        }
        assert_eq!(
            encapsulate(spec, &public(KeyPairSpec::MlKem768)).err(),
            Some(CryptoError::InvalidInput)
        );
        assert_eq!(key(spec).decapsulate(&[0u8; 1088]).err(), Some(CryptoError::InvalidInput));
    }
}

#[test]
fn ml_kem_public_key_is_the_one_aws_lc_derives() {
    for spec in [KeyPairSpec::MlKem512, KeyPairSpec::MlKem768, KeyPairSpec::MlKem1024] {
        let Kind::MlKem(parameters) = spec.kind() else { unreachable!() };
        let generated = DecapsulationKey::generate(parameters.algorithm).unwrap();
        let dk = generated.key_bytes().unwrap();
        let loaded = PrivateKey::from_private_bytes(spec, dk.as_ref()).unwrap();
        let ek = generated.encapsulation_key().unwrap().key_bytes().unwrap();
        assert_eq!(spki::parse(&loaded.public_key_der().unwrap()).unwrap().public_key, ek.as_ref());
        // A decapsulation key whose embedded encapsulation key was changed fails the
        // FIPS 203 hash check.
        let mut tampered = dk.as_ref().to_vec();
        tampered[parameters.decapsulation_key_len - 100] ^= 1;
        assert_eq!(
            PrivateKey::from_private_bytes(spec, &tampered).err(),
            Some(CryptoError::InvalidInput)
        );
    }
}

#[test]
fn public_keys_are_standard_subject_public_key_infos() {
    let cases = [
        (KeyPairSpec::Rsa2048, "30820122300d06092a864886f70d01010105000382010f00", 294),
        (KeyPairSpec::Rsa3072, "308201a2300d06092a864886f70d01010105000382018f00", 422),
        (KeyPairSpec::Rsa4096, "30820222300d06092a864886f70d01010105000382020f00", 550),
        (KeyPairSpec::EccNistP256, "3059301306072a8648ce3d020106082a8648ce3d030107034200", 91),
        (KeyPairSpec::EccNistP384, "3076301006072a8648ce3d020106052b81040022036200", 120),
        (KeyPairSpec::EccNistP521, "30819b301006072a8648ce3d020106052b8104002303818600", 158),
        (KeyPairSpec::EccSecgP256k1, "3056301006072a8648ce3d020106052b8104000a034200", 88),
        (KeyPairSpec::EccNistEdwards25519, "302a300506032b6570032100", 44),
        (KeyPairSpec::MlDsa44, "30820532300b06096086480165030403110382052100", 1334),
        (KeyPairSpec::MlDsa65, "308207b2300b0609608648016503040312038207a100", 1974),
        (KeyPairSpec::MlDsa87, "30820a32300b060960864801650304031303820a2100", 2614),
        (KeyPairSpec::MlKem512, "30820332300b06096086480165030404010382032100", 822),
        (KeyPairSpec::MlKem768, "308204b2300b0609608648016503040402038204a100", 1206),
        (KeyPairSpec::MlKem1024, "30820632300b06096086480165030404030382062100", 1590),
    ];
    assert_eq!(cases.map(|(spec, _, _)| spec), KeyPairSpec::ALL);
    for (spec, prefix, len) in cases {
        let der = public(spec);
        assert_eq!(hex::encode(&der[..prefix.len() / 2]), prefix, "{spec:?}");
        assert_eq!(der.len(), len, "{spec:?}");
    }
}

/// Keys written by Python `cryptography` 48 (OpenSSL 4.0), with what it said about them.
#[test]
fn loads_keys_other_tools_wrote() {
    let ed25519 = hex::decode(
        "302e020100300506032b657004220420327c127e3bb0c2a4e24f1cd1a3a6e1f5f4fcb9c5505ff6453217ac4f21fbcd2b",
    )
    .unwrap();
    let key = PrivateKey::from_private_bytes(KeyPairSpec::EccNistEdwards25519, &ed25519).unwrap();
    assert_eq!(
        hex::encode(key.public_key_der().unwrap()),
        "302a300506032b6570032100b6fc096c361f3431ee7c3e10b4b0147fad2490db730e7ff05d5416bc4a5f5023"
    );
    assert_eq!(
        hex::encode(key.sign(SigningAlgorithm::Ed25519Sha512, SignInput::Raw(b"Arca")).unwrap()),
        "f601071118ee5b654534ded9f2cdff797c80aaafb82aa26864ccce82ec430b99\
         b9e0590d135a0d0b5d2c6bfe1cd494b4d5a781dc628760e47776ecf8556f150c"
    );

    let ecdsa = [
        (
            KeyPairSpec::EccNistP256,
            "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02010104207d1da307b7363a95\
             b3b72a60934e64b458cb9fc642f13d6d08a3c955dcdf6538a14403420004e7f945d870071eac9180a4698e83\
             b338dd1b59c230dea6af2600dfd1d8a49985a4a6986db06d05c28877e9a349750cababf86cfa326075b11428\
             8703b17888cb",
            "3059301306072a8648ce3d020106082a8648ce3d03010703420004e7f945d870071eac9180a4698e83b338dd\
             1b59c230dea6af2600dfd1d8a49985a4a6986db06d05c28877e9a349750cababf86cfa326075b114288703b1\
             7888cb",
            "3045022100abb2b818d7d0328e0289e8e3dee3cb51604315ad40d9b3baf74e1c21911ac5e5022079e04e1bbc\
             708d3caac97780bf3e40e4c5afe7778cbb86b49f09b6fa67e21f29",
        ),
        (
            KeyPairSpec::EccSecgP256k1,
            "308184020100301006072a8648ce3d020106052b8104000a046d306b0201010420178196c98b4fc5564fdf4c\
             aae7c1bd8b7c39fb0d99d33494b9f9f7da9844acf3a144034200047e38605ba153f07454f4572e16f173cbdf\
             51df0c4f7755e2377dd427ff96becc62286afe88166eb3600d31cd90742ebc721ecbb40318c208ed08fe8a17\
             f9a072",
            "3056301006072a8648ce3d020106052b8104000a034200047e38605ba153f07454f4572e16f173cbdf51df0c\
             4f7755e2377dd427ff96becc62286afe88166eb3600d31cd90742ebc721ecbb40318c208ed08fe8a17f9a072",
            "3045022100e24209bedef38952bfe310deeab5e6c77dd86ee659dd8b7c461a39e1529ab66f02202e656eb6c3\
             ac9703b24a9b77f8aa07a715fb84b264b1d9de15c0ed2092f653f0",
        ),
    ];
    for (spec, private, public, signature) in ecdsa {
        let key = PrivateKey::from_private_bytes(spec, &hex::decode(private).unwrap()).unwrap();
        let public = hex::decode(public).unwrap();
        assert_eq!(key.public_key_der().unwrap(), public);
        let signature = hex::decode(signature).unwrap();
        let algorithm = SigningAlgorithm::EcdsaSha256;
        assert_eq!(verify(spec, &public, algorithm, SignInput::Raw(b"Arca"), &signature), Ok(true));
    }

    // ML-DSA-65 in the seed form; its public key is known by its SHA-256.
    let ml_dsa = hex::decode(
        "3034020100300b0609608648016503040312042280207876dc8baf6ee3d91dbaa78e492dddbf8d5f27e4df0000f31d0ab79c3d8a101b",
    )
    .unwrap();
    let key = PrivateKey::from_private_bytes(KeyPairSpec::MlDsa65, &ml_dsa).unwrap();
    let public_hash = digest::digest(&digest::SHA256, &key.public_key_der().unwrap());
    assert_eq!(
        hex::encode(public_hash.as_ref()),
        "bff0312baa0697a75550a62aa3d1798929c9ab481ad45ce599643ea313c0d3e8"
    );
    assert_eq!(key.to_private_bytes().unwrap().expose_secret(), ml_dsa);
}

/// Wraps an ML-DSA-65 private key choice (RFC 9881) in a PKCS #8 v1 `PrivateKeyInfo`.
fn ml_dsa_65_pkcs8(private_key: &[u8]) -> Vec<u8> {
    let mut content = hex::decode("020100300b0609608648016503040312").unwrap();
    der_tlv(0x04, private_key, &mut content);
    let mut pkcs8 = Vec::new();
    der_tlv(0x30, &content, &mut pkcs8);
    pkcs8
}

#[test]
fn ml_dsa_keys_load_in_every_form_but_store_only_with_their_seed() {
    let spec = KeyPairSpec::MlDsa65;
    let key = key(spec);
    let stored = key.to_private_bytes().unwrap();
    let seed = &stored.expose_secret()[stored.len() - 32..];
    let Kind::MlDsa(parameters) = spec.kind() else { unreachable!() };
    let pair = PqdsaKeyPair::from_pkcs8(parameters.signing, stored.expose_secret()).unwrap();
    let raw: PqdsaPrivateKeyRaw<'static> = pair.private_key().as_raw_bytes().unwrap();
    let mut expanded = Vec::new();
    der_tlv(0x04, raw.as_ref(), &mut expanded);
    let mut both_content = Vec::new();
    der_tlv(0x04, seed, &mut both_content);
    both_content.extend_from_slice(&expanded);
    let mut both = Vec::new();
    der_tlv(0x30, &both_content, &mut both);

    let loaded = PrivateKey::from_private_bytes(spec, &ml_dsa_65_pkcs8(&both)).unwrap();
    assert_eq!(loaded.public_key_der().unwrap(), key.public_key_der().unwrap());
    assert!(ct_eq(loaded.to_private_bytes().unwrap().expose_secret(), stored.expose_secret()));
    assert_eq!(
        PrivateKey::from_private_bytes(spec, &ml_dsa_65_pkcs8(&expanded)).err(),
        Some(CryptoError::InvalidInput)
    );
}

#[test]
fn loads_pkcs8_v2() {
    let pair = Ed25519KeyPair::generate().unwrap();
    let v2: Pkcs8V2Der<'static> = pair.as_der().unwrap();
    assert_eq!(v2.as_ref()[4], 0x01, "version v2");
    let key =
        PrivateKey::from_private_bytes(KeyPairSpec::EccNistEdwards25519, v2.as_ref()).unwrap();
    let public = key.public_key_der().unwrap();
    let signature = key.sign(SigningAlgorithm::Ed25519Sha512, SignInput::Raw(MESSAGE)).unwrap();
    let verified = verify(
        KeyPairSpec::EccNistEdwards25519,
        &public,
        SigningAlgorithm::Ed25519Sha512,
        SignInput::Raw(MESSAGE),
        &signature,
    );
    assert_eq!(verified, Ok(true));
}

#[test]
fn debug_never_shows_key_material() {
    for spec in KeyPairSpec::ALL {
        let key = key(spec);
        let debug = format!("{key:?}");
        assert_eq!(debug, format!("PrivateKey({}, [REDACTED])", spec.name()));
        let private = hex::encode(key.to_private_bytes().unwrap().expose_secret());
        assert!(!debug.contains(&private[private.len() - 16..]));
    }
}

#[test]
fn private_keys_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PrivateKey>();
}

#[test]
fn spki_reader_takes_only_minimal_der() {
    let der = spki::encode(&[0x06, 0x03, 0x2b, 0x65, 0x70], &[7u8; 200]);
    let parsed = spki::parse(&der).unwrap();
    assert_eq!(parsed.algorithm, [0x06, 0x03, 0x2b, 0x65, 0x70]);
    assert_eq!(parsed.public_key, [7u8; 200]);
    let refused: [&[u8]; 9] = [
        &[],
        &[0x30, 0x00],
        &[0x30, 0x80, 0x00, 0x00], // indefinite length
        &[0x30, 0x81, 0x05, 0x30, 0x00, 0x03, 0x01, 0x00], // long form for a short length
        &[0x30, 0x06, 0x30, 0x00, 0x03, 0x02, 0x01, 0xff], // unused bits
        &[0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0x00, 0x00], // trailing byte
        &[0x30, 0x06, 0x30, 0x00, 0x03, 0x01, 0x00, 0x00], // trailing element byte
        &[0x30, 0x05, 0x31, 0x00, 0x03, 0x01, 0x00], // not a SEQUENCE
        &[0x30, 0x84, 0x00, 0x00, 0x00, 0x85, 0x30], // leading zero length octet
    ];
    for der in refused {
        assert!(spki::parse(der).is_err(), "{der:02x?}");
    }
    assert!(spki::parse(&[0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0x00]).is_ok());
}

/// PEM in each of the three forms key files use loads as the spec it is, and as no
/// other.
#[test]
fn pem_private_keys_in_pkcs8_pkcs1_and_sec1_forms() {
    use aws_lc_rs::signature::EcdsaKeyPair;
    use base64::Engine as _;
    let pem = |label: &str, der: &[u8]| {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    let ecc = [KeyPairSpec::EccNistP256, KeyPairSpec::EccNistP384, KeyPairSpec::EccSecgP256k1];
    let p384 = PrivateKey::generate(KeyPairSpec::EccNistP384).unwrap();
    let pkcs8 = p384.to_pkcs8_der().unwrap();
    let loaded =
        PrivateKey::from_pem(pem("PRIVATE KEY", pkcs8.expose_secret()).as_bytes(), &ecc).unwrap();
    assert_eq!(loaded.spec(), KeyPairSpec::EccNistP384);
    assert_eq!(loaded.public_key_der().unwrap(), p384.public_key_der().unwrap());
    let pair = EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        pkcs8.expose_secret(),
    )
    .unwrap();
    let sec1 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::EcPrivateKeyRfc5915Der>::as_der(
        &pair.private_key(),
    )
    .unwrap();
    let loaded =
        PrivateKey::from_pem(pem("EC PRIVATE KEY", sec1.as_ref()).as_bytes(), &ecc).unwrap();
    assert_eq!(loaded.public_key_der().unwrap(), p384.public_key_der().unwrap());
    assert!(
        PrivateKey::from_pem(
            pem("EC PRIVATE KEY", sec1.as_ref()).as_bytes(),
            &[KeyPairSpec::EccNistP256]
        )
        .is_err()
    );
    // PKCS #1 (`openssl rsa -traditional`) is checked by the seed-file compat test.
    assert!(PrivateKey::from_pem(b"not pem", &ecc).is_err());
}
