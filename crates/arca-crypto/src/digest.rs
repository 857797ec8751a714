//! SHA-2 digests, one-shot and streaming.

use aws_lc_rs::digest;

/// The SHA-2 functions Arca uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-224 (KMS HMAC_224 keys).
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    pub(crate) fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            HashAlgorithm::Sha224 => &digest::SHA224,
            HashAlgorithm::Sha256 => &digest::SHA256,
            HashAlgorithm::Sha384 => &digest::SHA384,
            HashAlgorithm::Sha512 => &digest::SHA512,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        self.digest_algorithm().output_len()
    }
}

/// One-shot digest of `data`.
pub fn hash(algorithm: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    digest::digest(algorithm.digest_algorithm(), data).as_ref().to_vec()
}

/// SHA-256 of `data`, as a fixed array.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// An incremental digest for data that arrives in pieces.
#[derive(Clone)]
pub struct Hasher(digest::Context);

impl Hasher {
    /// Starts a digest.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        Self(digest::Context::new(algorithm.digest_algorithm()))
    }

    /// Feeds more data.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// Finishes and returns the digest.
    pub fn finish(self) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut hasher = Hasher::new(HashAlgorithm::Sha384);
        hasher.update(b"a");
        hasher.update(b"bc");
        assert_eq!(
            hex::encode(hasher.finish()),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
    }
}
