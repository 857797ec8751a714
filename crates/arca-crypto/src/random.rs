//! Random bytes from aws-lc's DRBG.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Fills `buffer` with random bytes.
///
/// # Panics
/// Only if the system random source fails, which aws-lc treats as fatal as well.
pub fn fill(buffer: &mut [u8]) {
    SystemRandom::new()
        .fill(buffer)
        .expect("the system random number generator does not fail once initialised");
}

/// A vector of `len` random bytes (for non-secret values such as nonces and ids).
pub fn bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    fill(&mut out);
    out
}
