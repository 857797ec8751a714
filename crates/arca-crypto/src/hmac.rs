//! HMAC with SHA-2; verification is constant-time inside aws-lc.

use aws_lc_rs::hmac;

use crate::digest::HashAlgorithm;

fn algorithm(hash: HashAlgorithm) -> hmac::Algorithm {
    match hash {
        HashAlgorithm::Sha224 => hmac::HMAC_SHA224,
        HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
        HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
        HashAlgorithm::Sha512 => hmac::HMAC_SHA512,
    }
}

/// HMAC of `data` under `key`.
pub fn sign(hash: HashAlgorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(algorithm(hash), key);
    hmac::sign(&key, data).as_ref().to_vec()
}

/// HMAC-SHA256 as a fixed array (SigV4 chains many of these).
pub fn sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut out = [0u8; 32];
    out.copy_from_slice(hmac::sign(&key, data).as_ref());
    out
}

/// Checks `tag` against the HMAC of `data` in constant time.
pub fn verify(hash: HashAlgorithm, key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let key = hmac::Key::new(algorithm(hash), key);
    hmac::verify(&key, data, tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4231 test case 2.
    #[test]
    fn rfc4231_case_2() {
        let tag = sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(HashAlgorithm::Sha256, b"Jefe", b"what do ya want for nothing?", &tag));
        assert!(!verify(HashAlgorithm::Sha256, b"Jeff", b"what do ya want for nothing?", &tag));
    }
}
