//! `cargo run --release -- [--size BYTES] [--messages N] [--repeat N] [--python PATH]`
//!
//! Measures in one run, on one machine, with a raw AES-256 keyring and frame 4096. Every
//! tool gets the same input size, the same number of runs (`--repeat`, default 3; each
//! figure is reported as the best and the median run) and the same sink (encrypt:
//! generated input to a sink; decrypt: a message file written untimed, to a sink):
//! - the machine's limits in-process: AES-256-GCM and SHA-384 throughput on one core;
//! - Arca: streaming encrypt and decrypt MiB/s for suites 0x0578 and 0x0478 over
//!   `--size` bytes, signed 1 KiB messages per second (`--messages`), and the process's
//!   peak resident memory;
//! - the official Rust SDK (`aws-esdk`), which has no streaming API: whole messages in
//!   memory (so its input and output are buffers, the closest it has to a source and a
//!   sink), the same 1 KiB message count, and its peak resident memory (measured after
//!   resetting the process's high-water mark);
//! - the Python SDK (`python_bench.py`, run with `--python`, default `.venv/bin/python`)
//!   on the same sizes, runs and message count;
//!
//! and prints the ratios of the best runs.

use std::io::{BufWriter, Read, Write};
use std::process::Command;
use std::time::Instant;

use arca_crypto::SecretBytes;
use arca_crypto::aead::AesGcmKey;
use arca_crypto::digest::{HashAlgorithm, Hasher};
use arca_esdk::keyring::RawAesKeyring;
use arca_esdk::{AlgorithmSuite, Client, DecryptOptions, DefaultCmm, EncryptOptions};
use arca_esdk_bench::aws_peer::AwsEsdk;

const MIB: f64 = 1024.0 * 1024.0;

/// A deterministic plaintext, `remaining` bytes long, copied from a precomputed block.
struct Generated {
    remaining: u64,
    block: Vec<u8>,
}

impl Generated {
    fn new(remaining: u64) -> Self {
        Self { remaining, block: (0..1 << 16).map(|i: u32| (i as u8).wrapping_mul(31)).collect() }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining).min(self.block.len() as u64) as usize;
        buf[..n].copy_from_slice(&self.block[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Resets the process's peak resident memory (VmHWM), so the next reading is the
/// peer's alone.
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").ok();
}

/// The `aws-esdk` figures: in-memory MiB/s per suite, 1 KiB messages/s, peak memory.
struct PeerFigures {
    suites: Vec<(u16, Rates, Rates)>,
    encrypt_rate: f64,
    decrypt_rate: f64,
    peak: f64,
}

fn measure_aws_esdk(
    key: &[u8],
    size: usize,
    messages: usize,
    runs: u32,
) -> Result<PeerFigures, String> {
    let peer = AwsEsdk::new().map_err(|e| e.to_string())?;
    let keyring = peer.raw_aes("bench", "aes", key).map_err(|e| e.to_string())?;
    let context = std::collections::HashMap::new();
    reset_peak_rss();
    let mut suites = Vec::new();
    let data: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(31)).collect();
    for id in [0x0578u16, 0x0478] {
        let (mut encrypt, mut decrypt) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let start = Instant::now();
            let message =
                peer.encrypt(&keyring, id, 4096, &context, &data).map_err(|e| e.to_string())?;
            encrypt.push(start.elapsed().as_secs_f64());
            let start = Instant::now();
            let plaintext =
                peer.decrypt(&keyring, &context, &message).map_err(|e| e.to_string())?;
            decrypt.push(start.elapsed().as_secs_f64());
            assert_eq!(plaintext.len(), size);
        }
        suites.push((
            id,
            Rates::from_seconds(size as u64, encrypt),
            Rates::from_seconds(size as u64, decrypt),
        ));
    }
    drop(data);
    let small = vec![5u8; 1024];
    let start = Instant::now();
    let mut last = Vec::new();
    for _ in 0..messages {
        last = peer.encrypt(&keyring, 0x0578, 4096, &context, &small).map_err(|e| e.to_string())?;
    }
    let encrypt_rate = messages as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..messages {
        std::hint::black_box(peer.decrypt(&keyring, &context, &last).map_err(|e| e.to_string())?);
    }
    let decrypt_rate = messages as f64 / start.elapsed().as_secs_f64();
    Ok(PeerFigures { suites, encrypt_rate, decrypt_rate, peak: peak_rss_mib() })
}

/// The best and the median of a figure over the runs.
#[derive(Debug, Clone, Copy)]
struct Rates {
    best: f64,
    median: f64,
}

impl Rates {
    /// MiB/s of `size` bytes from each run's seconds.
    fn from_seconds(size: u64, mut seconds: Vec<f64>) -> Self {
        seconds.sort_by(f64::total_cmp);
        let rate = |s: f64| size as f64 / MIB / s;
        Self { best: rate(seconds[0]), median: rate(seconds[seconds.len() / 2]) }
    }
}

impl std::fmt::Display for Rates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>7.0} MiB/s (median {:.0})", self.best, self.median)
    }
}

/// Runs `work` `runs` times over `size` bytes.
fn rates(runs: u32, size: u64, mut work: impl FnMut()) -> Rates {
    let seconds = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .collect();
    Rates::from_seconds(size, seconds)
}

fn limits() -> (f64, f64) {
    let buffer_len = 1 << 20;
    let rounds = 256;
    let key = AesGcmKey::new(SecretBytes::random(32)).unwrap();
    let mut buffer = vec![7u8; buffer_len];
    let start = Instant::now();
    for round in 0..rounds {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&(round as u32).to_be_bytes());
        key.seal_in_place(&nonce, b"", &mut buffer).unwrap();
    }
    let aes = (buffer_len * rounds) as f64 / MIB / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut hasher = Hasher::new(HashAlgorithm::Sha384);
    for _ in 0..rounds {
        hasher.update(&buffer);
    }
    std::hint::black_box(hasher.finish());
    let sha = (buffer_len * rounds) as f64 / MIB / start.elapsed().as_secs_f64();
    (aes, sha)
}

fn main() {
    let size: u64 = arg("--size").map(|s| s.parse().unwrap()).unwrap_or(64 << 20);
    let messages: usize = arg("--messages").map(|s| s.parse().unwrap()).unwrap_or(2000);
    // aws-esdk holds whole messages in memory; a smaller size for it is a choice to
    // make on the command line, never a silent default.
    let peer_size: u64 = arg("--peer-size").map(|s| s.parse().unwrap()).unwrap_or(size);
    // Streaming figures and machine limits are the best of this many runs: on a shared
    // machine a single run swings by a quarter either way.
    let repeat: u32 = arg("--repeat").map(|s| s.parse().unwrap()).unwrap_or(3).max(1);
    let python = arg("--python").unwrap_or_else(|| "../../.venv/bin/python".into());
    let key = [0x11u8; 32];
    let cmm = DefaultCmm::from_keyring(
        RawAesKeyring::new("bench", "aes", SecretBytes::new(key.to_vec())).unwrap(),
    );
    let client = Client::default();
    let dir = std::env::temp_dir().join(format!("arca-esdk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let (mut aes_limit, mut sha_limit) = (0f64, 0f64);
    for _ in 0..repeat {
        let (aes, sha) = limits();
        aes_limit = aes_limit.max(aes);
        sha_limit = sha_limit.max(sha);
    }
    println!(
        "machine limits (one core, in-process, best of {repeat}): AES-256-GCM {aes_limit:.0} MiB/s, SHA-384 {sha_limit:.0} MiB/s"
    );
    println!("size {:.0} MiB, frame 4096, raw AES-256 keyring", size as f64 / MIB);

    let mut rows = Vec::new();
    // The default client (frames of long unsigned messages on two threads), and the
    // calling thread alone for comparison.
    let configurations = [
        (AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384, true),
        (AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, true),
        (AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, false),
    ];
    for (suite, parallel_frames) in configurations {
        let client = Client { parallel_frames, ..Client::default() };
        let path = dir.join(format!("{:04x}.enc", suite.id()));
        let options =
            EncryptOptions { suite: Some(suite), frame_length: 4096, ..Default::default() };
        let encrypt = rates(repeat, size, || {
            client.encrypt_stream(&cmm, &options, Generated::new(size), std::io::sink()).unwrap();
        });
        // The message to decrypt, written untimed and synced, so the kernel's writeback
        // of it does not share the timed decryption's cores.
        let mut file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        client.encrypt_stream(&cmm, &options, Generated::new(size), &mut file).unwrap();
        file.flush().unwrap();
        file.get_ref().sync_all().unwrap();
        let decrypt = rates(repeat, size, || {
            // No BufReader: decrypt_stream buffers the small fields itself and reads
            // batches of frames straight into its own buffers, which a BufReader would
            // copy through.
            let file = std::fs::File::open(&path).unwrap();
            client.decrypt_stream(&cmm, &DecryptOptions::default(), file, std::io::sink()).unwrap();
        });
        std::fs::remove_file(&path).unwrap();
        rows.push((suite, parallel_frames, encrypt, decrypt));
    }
    let plaintext = vec![5u8; 1024];
    let options = EncryptOptions::default();
    let start = Instant::now();
    let mut last = Vec::new();
    for _ in 0..messages {
        last = client.encrypt(&cmm, &plaintext, &options).unwrap().0;
    }
    let encrypt_rate = messages as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..messages {
        std::hint::black_box(client.decrypt(&cmm, &last, &DecryptOptions::default()).unwrap());
    }
    let decrypt_rate = messages as f64 / start.elapsed().as_secs_f64();
    let peak = peak_rss_mib();

    for (suite, parallel_frames, encrypt, decrypt) in &rows {
        let limit = if suite.is_signed() { sha_limit } else { aes_limit };
        let which = if suite.is_signed() { "SHA-384" } else { "AES-GCM" };
        println!(
            "arca   0x{:04x}{}: encrypt {encrypt} ({:>3.0}% of {which} limit), decrypt {decrypt} ({:>3.0}%)",
            suite.id(),
            if *parallel_frames { "" } else { " one thread" },
            encrypt.best / limit * 100.0,
            decrypt.best / limit * 100.0
        );
    }
    println!(
        "arca   0x0578 1 KiB messages: encrypt {encrypt_rate:.0}/s, decrypt {decrypt_rate:.0}/s"
    );
    println!("arca   peak resident memory: {peak:.1} MiB");

    match measure_aws_esdk(&key, peer_size as usize, messages, repeat) {
        Ok(peer) => {
            for (id, encrypt, decrypt) in &peer.suites {
                println!(
                    "aws-esdk 0x{id:04x} in memory, {:.0} MiB: encrypt {encrypt}, decrypt {decrypt}",
                    peer_size as f64 / MIB
                );
            }
            println!(
                "aws-esdk 0x0578 1 KiB messages: encrypt {:.0}/s, decrypt {:.0}/s",
                peer.encrypt_rate, peer.decrypt_rate
            );
            println!(
                "aws-esdk peak resident memory: {:.1} MiB (for {:.0} MiB in memory)",
                peer.peak,
                peer_size as f64 / MIB
            );
            let arca_for =
                |id: u16| rows.iter().find(|r| r.0.id() == id && r.1).map(|r| (r.2, r.3));
            let mut ratios = Vec::new();
            for (id, encrypt, decrypt) in &peer.suites {
                if let Some((arca_encrypt, arca_decrypt)) = arca_for(*id) {
                    ratios.push(format!(
                        "0x{id:04x} encrypt {:.1}x, decrypt {:.1}x",
                        arca_encrypt.best / encrypt.best,
                        arca_decrypt.best / decrypt.best
                    ));
                }
            }
            println!(
                "ratios arca/aws-esdk: {}, 1 KiB messages encrypt {:.1}x, decrypt {:.1}x",
                ratios.join(", "),
                encrypt_rate / peer.encrypt_rate,
                decrypt_rate / peer.decrypt_rate
            );
        }
        Err(error) => println!("aws-esdk bench failed: {error}"),
    }

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python_bench.py");
    let output = Command::new(&python)
        .arg(&script)
        .args([
            "--size",
            &size.to_string(),
            "--messages",
            &messages.to_string(),
            "--repeat",
            &repeat.to_string(),
        ])
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            print!("{text}");
            let value = |key: &str| -> Option<f64> {
                text.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.trim().parse().ok()))
            };
            if let (Some(py_enc), Some(py_dec), Some(py_msgs)) = (
                value("python_0578_encrypt_mibs"),
                value("python_0578_decrypt_mibs"),
                value("python_messages_encrypt_per_s"),
            ) {
                let (_, _, encrypt, decrypt) = rows[0];
                println!(
                    "ratios arca/python: 0x0578 encrypt {:.1}x, decrypt {:.1}x, 1 KiB messages {:.1}x",
                    encrypt.best / py_enc,
                    decrypt.best / py_dec,
                    encrypt_rate / py_msgs
                );
            }
        }
        Ok(output) => {
            println!("python SDK bench failed: {}", String::from_utf8_lossy(&output.stderr))
        }
        Err(error) => println!("python SDK bench not run ({python}: {error})"),
    }
    std::fs::remove_dir_all(&dir).ok();
}
