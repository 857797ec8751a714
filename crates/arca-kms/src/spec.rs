//! What each KMS key spec is, and what AWS lets it do: its key usages and, per usage,
//! the encryption, signing, MAC, key agreement and encapsulation algorithms that
//! DescribeKey and GetPublicKey list. The table follows the "Key spec reference" of
//! the AWS KMS developer guide.

use arca_crypto::{asymmetric::KeyPairSpec, digest::HashAlgorithm, rsa::RsaPadding};

/// The symmetric encryption key spec.
pub(crate) const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

/// The key usages.
pub(crate) const ENCRYPT_DECRYPT: &str = "ENCRYPT_DECRYPT";
pub(crate) const SIGN_VERIFY: &str = "SIGN_VERIFY";
pub(crate) const GENERATE_VERIFY_MAC: &str = "GENERATE_VERIFY_MAC";
pub(crate) const KEY_AGREEMENT: &str = "KEY_AGREEMENT";
pub(crate) const ENCAPSULATE_DECAPSULATE: &str = "ENCAPSULATE_DECAPSULATE";

/// The KeySpec values of the model, in its order.
pub(crate) const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];

/// An HMAC key spec: its hash, which is also its key length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HmacSpec {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HmacSpec {
    /// The MacAlgorithmSpec name.
    pub(crate) fn algorithm(self) -> &'static str {
        match self {
            HmacSpec::Sha224 => "HMAC_SHA_224",
            HmacSpec::Sha256 => "HMAC_SHA_256",
            HmacSpec::Sha384 => "HMAC_SHA_384",
            HmacSpec::Sha512 => "HMAC_SHA_512",
        }
    }

    /// The hash.
    pub(crate) fn hash(self) -> HashAlgorithm {
        match self {
            HmacSpec::Sha224 => HashAlgorithm::Sha224,
            HmacSpec::Sha256 => HashAlgorithm::Sha256,
            HmacSpec::Sha384 => HashAlgorithm::Sha384,
            HmacSpec::Sha512 => HashAlgorithm::Sha512,
        }
    }

    /// Key length in bytes: AWS makes HMAC keys as long as the hash's output.
    pub(crate) fn key_len(self) -> usize {
        match self {
            HmacSpec::Sha224 => 28,
            HmacSpec::Sha256 => 32,
            HmacSpec::Sha384 => 48,
            HmacSpec::Sha512 => 64,
        }
    }
}

/// What kind of key a spec names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// AES-256-GCM behind Arca's ciphertext blobs.
    Symmetric,
    /// A key pair.
    Pair(KeyPairSpec),
    /// An HMAC key.
    Hmac(HmacSpec),
}

impl KeyKind {
    /// The kind of `spec`; `None` for a spec Arca does not offer (SM2, whose
    /// algorithms aws-lc does not implement).
    pub(crate) fn of(spec: &str) -> Option<KeyKind> {
        Some(match spec {
            SYMMETRIC_DEFAULT => KeyKind::Symmetric,
            "HMAC_224" => KeyKind::Hmac(HmacSpec::Sha224),
            "HMAC_256" => KeyKind::Hmac(HmacSpec::Sha256),
            "HMAC_384" => KeyKind::Hmac(HmacSpec::Sha384),
            "HMAC_512" => KeyKind::Hmac(HmacSpec::Sha512),
            other => KeyKind::Pair(KeyPairSpec::from_name(other)?),
        })
    }

    /// The key usages AWS allows for the spec.
    pub(crate) fn usages(self) -> &'static [&'static str] {
        use KeyPairSpec as P;
        match self {
            KeyKind::Symmetric => &[ENCRYPT_DECRYPT],
            KeyKind::Hmac(_) => &[GENERATE_VERIFY_MAC],
            KeyKind::Pair(P::Rsa2048 | P::Rsa3072 | P::Rsa4096) => &[ENCRYPT_DECRYPT, SIGN_VERIFY],
            KeyKind::Pair(P::EccNistP256 | P::EccNistP384 | P::EccNistP521) => {
                &[SIGN_VERIFY, KEY_AGREEMENT]
            }
            KeyKind::Pair(
                P::EccSecgP256k1 | P::EccNistEdwards25519 | P::MlDsa44 | P::MlDsa65 | P::MlDsa87,
            ) => &[SIGN_VERIFY],
            KeyKind::Pair(P::MlKem512 | P::MlKem768 | P::MlKem1024) => &[ENCAPSULATE_DECAPSULATE],
        }
    }

    /// Whether this is an RSA key pair.
    pub(crate) fn is_rsa(self) -> bool {
        matches!(
            self,
            KeyKind::Pair(KeyPairSpec::Rsa2048 | KeyPairSpec::Rsa3072 | KeyPairSpec::Rsa4096)
        )
    }
}

/// The algorithm lists a key shows in DescribeKey and GetPublicKey.
#[derive(Debug, Default)]
pub(crate) struct Algorithms {
    pub(crate) encryption: Option<Vec<String>>,
    pub(crate) signing: Option<Vec<String>>,
    pub(crate) mac: Option<Vec<String>>,
    pub(crate) key_agreement: Option<Vec<String>>,
    pub(crate) encapsulation: Option<Vec<String>>,
}

fn names(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|name| name.to_string()).collect())
}

/// The algorithms of a key of `kind` with `usage`.
pub(crate) fn algorithms(kind: KeyKind, usage: &str) -> Algorithms {
    let mut out = Algorithms::default();
    match (kind, usage) {
        (KeyKind::Symmetric, _) => out.encryption = names(&[SYMMETRIC_DEFAULT]),
        (KeyKind::Hmac(spec), _) => out.mac = names(&[spec.algorithm()]),
        (KeyKind::Pair(_), ENCRYPT_DECRYPT) => {
            out.encryption = names(&[RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256])
        }
        (KeyKind::Pair(spec), SIGN_VERIFY) => {
            out.signing =
                Some(spec.signing_algorithms().iter().map(|alg| alg.name().to_string()).collect())
        }
        (KeyKind::Pair(_), KEY_AGREEMENT) => out.key_agreement = names(&["ECDH"]),
        (KeyKind::Pair(_), ENCAPSULATE_DECAPSULATE) => out.encapsulation = names(&["ML_KEM"]),
        (KeyKind::Pair(_), _) => {}
    }
    out
}

/// RSA encryption algorithm names.
pub(crate) const RSAES_OAEP_SHA_1: &str = "RSAES_OAEP_SHA_1";
pub(crate) const RSAES_OAEP_SHA_256: &str = "RSAES_OAEP_SHA_256";

/// The OAEP padding an EncryptionAlgorithmSpec names, if it is an RSA one.
pub(crate) fn oaep_padding(algorithm: &str) -> Option<RsaPadding> {
    match algorithm {
        RSAES_OAEP_SHA_1 => Some(RsaPadding::OaepSha1),
        RSAES_OAEP_SHA_256 => Some(RsaPadding::OaepSha256),
        _ => None,
    }
}

/// The name of an RSA padding: the EncryptionAlgorithmSpec for the two KMS offers
/// (the only ones [`oaep_padding`] gives), and a plain name for the others.
pub(crate) fn oaep_name(padding: RsaPadding) -> &'static str {
    match padding {
        RsaPadding::OaepSha1 => RSAES_OAEP_SHA_1,
        RsaPadding::OaepSha256 => RSAES_OAEP_SHA_256,
        RsaPadding::OaepSha384 => "RSAES_OAEP_SHA_384",
        RsaPadding::OaepSha512 => "RSAES_OAEP_SHA_512",
        RsaPadding::Pkcs1 => "RSAES_PKCS1_V1_5",
    }
}

/// The EncryptionAlgorithmSpec name of a request's sealing: an OAEP padding, or
/// `None` for symmetric encryption.
pub(crate) fn algorithm_name(padding: Option<RsaPadding>) -> &'static str {
    padding.map(oaep_name).unwrap_or(SYMMETRIC_DEFAULT)
}

/// The SigningAlgorithmSpec values of the model, in its order.
pub(crate) const SIGNING_ALGORITHMS: &[&str] = &[
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "SM2DSA",
    "ML_DSA_SHAKE_256",
    "ED25519_SHA_512",
    "ED25519_PH_SHA_512",
];

/// The MacAlgorithmSpec values, in the order AWS lists them in its validation message.
pub(crate) const MAC_ALGORITHMS: &[&str] =
    &["HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"];

/// The DataKeyPairSpec values of the model.
pub(crate) const DATA_KEY_PAIR_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_spec_has_usages_and_algorithms_for_each() {
        for name in KEY_SPECS.iter().filter(|name| **name != "SM2") {
            let kind = KeyKind::of(name).unwrap_or_else(|| panic!("{name}"));
            for usage in kind.usages() {
                let a = algorithms(kind, usage);
                let lists = [&a.encryption, &a.signing, &a.mac, &a.key_agreement, &a.encapsulation];
                let listed: Vec<_> = lists.iter().filter_map(|l| l.as_ref()).collect();
                assert_eq!(listed.len(), 1, "{name} {usage}");
                assert!(!listed[0].is_empty(), "{name} {usage}");
            }
        }
        assert_eq!(KeyKind::of("SM2"), None);
        assert_eq!(KeyKind::of("HMAC_random"), None);
    }

    #[test]
    fn hmac_keys_are_as_long_as_their_hash() {
        for spec in [HmacSpec::Sha224, HmacSpec::Sha256, HmacSpec::Sha384, HmacSpec::Sha512] {
            assert_eq!(spec.key_len(), spec.hash().output_len());
        }
    }

    #[test]
    fn rsa_signing_lists_pss_and_pkcs1() {
        let a = algorithms(KeyKind::of("RSA_2048").unwrap(), SIGN_VERIFY);
        assert_eq!(a.signing.unwrap().len(), 6);
        let a = algorithms(KeyKind::of("RSA_2048").unwrap(), ENCRYPT_DECRYPT);
        assert_eq!(a.encryption.unwrap(), ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]);
    }
}
