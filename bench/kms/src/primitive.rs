//! The in-process limit: the same primitives in aws-lc (through `arca-crypto`), on every
//! core, with no HTTP, SigV4, policy or audit in the way. The API rows divided by these
//! show what the server adds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arca_crypto::asymmetric::{KeyPairSpec, PrivateKey, SignInput, SigningAlgorithm};
use arca_crypto::digest::HashAlgorithm;

use crate::calls::{Operation, Pair, message};

/// Operations per second of one primitive.
pub struct Rate {
    /// The API operation it stands for.
    pub operation: Operation,
    /// Operations per second, all threads together.
    pub per_second: f64,
    /// Threads used.
    pub threads: usize,
}

fn spec(pair: Pair) -> (KeyPairSpec, SigningAlgorithm) {
    match pair {
        Pair::EcdsaP256 => (KeyPairSpec::EccNistP256, SigningAlgorithm::EcdsaSha256),
        Pair::Rsa2048 => (KeyPairSpec::Rsa2048, SigningAlgorithm::RsassaPssSha256),
        Pair::MlDsa65 => (KeyPairSpec::MlDsa65, SigningAlgorithm::MlDsaShake256),
    }
}

/// Runs `work` on `threads` threads for `duration` and counts the calls.
fn rate(threads: usize, duration: Duration, work: Arc<dyn Fn() + Send + Sync>) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, count, work) = (Arc::clone(&stop), Arc::clone(&count), Arc::clone(&work));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    work();
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// The primitive rate of each Sign, Verify and GenerateMac operation in `operations`.
pub fn measure(operations: &[Operation], threads: usize, duration: Duration) -> Vec<Rate> {
    let threads = threads.max(1);
    let mut rates = Vec::new();
    for operation in operations {
        let work: Arc<dyn Fn() + Send + Sync> = match *operation {
            Operation::Sign(pair) => {
                let (spec, algorithm) = spec(pair);
                let key = PrivateKey::generate(spec).expect("aws-lc makes the key");
                let message = message(0);
                Arc::new(move || {
                    let _ = key.sign(algorithm, SignInput::Raw(&message));
                })
            }
            Operation::Verify(pair) => {
                let (spec, algorithm) = spec(pair);
                let key = PrivateKey::generate(spec).expect("aws-lc makes the key");
                let message = message(0);
                let signature =
                    key.sign(algorithm, SignInput::Raw(&message)).expect("aws-lc signs");
                let public = key.public_key_der().expect("aws-lc encodes the public key");
                Arc::new(move || {
                    let _ = arca_crypto::asymmetric::verify(
                        spec,
                        &public,
                        algorithm,
                        SignInput::Raw(&message),
                        &signature,
                    );
                })
            }
            Operation::GenerateMac => {
                let key = arca_crypto::random::bytes(32);
                let message = message(0);
                Arc::new(move || {
                    let _ = arca_crypto::hmac::sign(HashAlgorithm::Sha256, &key, &message);
                })
            }
            Operation::Encrypt | Operation::GenerateDataKey => continue,
        };
        let per_second = rate(threads, duration, work);
        rates.push(Rate { operation: *operation, per_second, threads });
    }
    rates
}
