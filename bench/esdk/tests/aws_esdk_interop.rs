//! Interoperability with the official Rust AWS Encryption SDK (`aws-esdk` from
//! crates.io), both ways: every algorithm suite, frame lengths from 1 byte to 1 MiB,
//! empty and large encryption contexts, raw AES keys of every size, raw RSA with every
//! padding, and multi-keyrings decrypted through either member.
//!
//! `scripts/test` runs these (debug build); by hand: `cargo test --release` in
//! `bench/esdk`, its own workspace, so the main workspace never builds `aws-esdk`.

use std::collections::HashMap;
use std::sync::Arc;

use arca_crypto::SecretBytes;
use arca_crypto::rsa::RsaPadding;
use arca_esdk::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring};
use arca_esdk::{
    AlgorithmSuite, Client, CommitmentPolicy, DecryptOptions, DefaultCmm, EncryptOptions,
    EncryptionContext,
};
use arca_esdk_bench::aws_peer::{AwsEsdk, padding};

const NAMESPACE: &str = "interop";

fn arca_client(policy: CommitmentPolicy) -> Client {
    Client { commitment_policy: policy, ..Client::default() }
}

/// Arca encrypts under the suite's policy; decrypts anything.
fn arca_encrypt(
    keyring: impl Keyring + 'static,
    suite: AlgorithmSuite,
    frame_length: u32,
    context: &HashMap<String, String>,
    plaintext: &[u8],
) -> Vec<u8> {
    let policy = if suite.id() >= 0x0478 {
        CommitmentPolicy::RequireEncryptRequireDecrypt
    } else {
        CommitmentPolicy::ForbidEncryptAllowDecrypt
    };
    let mut encryption_context = EncryptionContext::new();
    for (k, v) in context {
        encryption_context.insert(k.as_str(), v.as_str());
    }
    let options = EncryptOptions {
        encryption_context,
        suite: Some(suite),
        frame_length,
        ..Default::default()
    };
    arca_client(policy).encrypt(&DefaultCmm::from_keyring(keyring), plaintext, &options).unwrap().0
}

fn arca_decrypt(
    keyring: impl Keyring + 'static,
    message: &[u8],
) -> Result<Vec<u8>, arca_esdk::Error> {
    let client = arca_client(CommitmentPolicy::RequireEncryptAllowDecrypt);
    client
        .decrypt(&DefaultCmm::from_keyring(keyring), message, &DecryptOptions::default())
        .map(|(p, _)| p)
}

fn large_context() -> HashMap<String, String> {
    (0..64)
        .map(|i| (format!("key-{i:02}-ключ-鍵"), format!("value {i} ✓ {}", "x".repeat(i * 4))))
        .collect()
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn every_suite_and_frame_length_both_ways_with_raw_aes() {
    let peer = AwsEsdk::new().unwrap();
    let mut checked = 0;
    for key_len in [16usize, 24, 32] {
        let key = vec![0x42u8 ^ key_len as u8; key_len];
        let name = format!("aes-{}", key_len * 8);
        let theirs = peer.raw_aes(NAMESPACE, &name, &key).unwrap();
        let ours =
            || RawAesKeyring::new(NAMESPACE, name.as_str(), SecretBytes::new(key.clone())).unwrap();
        for suite in AlgorithmSuite::ALL {
            for (frame_length, len) in
                [(1u32, 33usize), (16, 5000), (4096, 0), (4096, 10_000), (1 << 20, (1 << 20) + 1)]
            {
                // The key sizes multiply the matrix: the smaller keys get one frame case.
                if key_len != 32 && (frame_length, len) != (4096, 10_000) {
                    continue;
                }
                for context in [HashMap::new(), large_context()] {
                    let data = plaintext(len);
                    let message = arca_encrypt(ours(), suite, frame_length, &context, &data);
                    let decrypted = peer.decrypt(&theirs, &context, &message).unwrap_or_else(|e| {
                        panic!(
                            "aws-esdk refused Arca's 0x{:04x} frame {frame_length}: {e}",
                            suite.id()
                        )
                    });
                    assert_eq!(decrypted, data);
                    let message =
                        peer.encrypt(&theirs, suite.id(), frame_length, &context, &data).unwrap();
                    assert_eq!(
                        arca_decrypt(ours(), &message).unwrap(),
                        data,
                        "0x{:04x}",
                        suite.id()
                    );
                    checked += 1;
                }
            }
        }
    }
    println!("{checked} cases, each both ways");
}

/// An RSA key pair as PEM documents (PKCS#8 private, SPKI public), made by openssl.
fn rsa_pems(bits: u32) -> (Vec<u8>, Vec<u8>) {
    let private = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", &format!("rsa_keygen_bits:{bits}")])
        .output()
        .expect("openssl");
    assert!(private.status.success());
    let mut child = std::process::Command::new("openssl")
        .args(["pkey", "-pubout"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(&private.stdout).unwrap();
    let public = child.wait_with_output().unwrap();
    assert!(public.status.success());
    (private.stdout, public.stdout)
}

fn arca_padding(name: &str) -> RsaPadding {
    match name {
        "pkcs1" => RsaPadding::Pkcs1,
        "oaep-sha1" => RsaPadding::OaepSha1,
        "oaep-sha256" => RsaPadding::OaepSha256,
        "oaep-sha384" => RsaPadding::OaepSha384,
        _ => RsaPadding::OaepSha512,
    }
}

#[test]
fn raw_rsa_with_every_padding_both_ways() {
    let peer = AwsEsdk::new().unwrap();
    let (private_pem, public_pem) = rsa_pems(3072);
    let context = HashMap::from([("purpose".to_string(), "rsa interop".to_string())]);
    let data = plaintext(20_000);
    for name in ["pkcs1", "oaep-sha1", "oaep-sha256", "oaep-sha384", "oaep-sha512"] {
        let theirs = peer
            .raw_rsa(NAMESPACE, name, padding(name), Some(&public_pem), Some(&private_pem))
            .unwrap();
        let ours =
            || RawRsaKeyring::from_pem(NAMESPACE, name, arca_padding(name), &private_pem).unwrap();
        for suite in [
            AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
            AlgorithmSuite::Aes128GcmIv12Tag16,
        ] {
            let message = arca_encrypt(ours(), suite, 4096, &context, &data);
            assert_eq!(peer.decrypt(&theirs, &context, &message).unwrap(), data, "{name}");
            let message = peer.encrypt(&theirs, suite.id(), 4096, &context, &data).unwrap();
            assert_eq!(arca_decrypt(ours(), &message).unwrap(), data, "{name}");
        }
        // Arca's public-key-only keyring encrypts for aws-esdk's private key.
        let public_only =
            RawRsaKeyring::from_pem(NAMESPACE, name, arca_padding(name), &public_pem).unwrap();
        let message = arca_encrypt(
            public_only,
            AlgorithmSuite::Aes256GcmHkdfSha512CommitKey,
            4096,
            &context,
            &data,
        );
        assert_eq!(peer.decrypt(&theirs, &context, &message).unwrap(), data, "{name} public only");
    }
}

#[test]
fn multi_keyrings_decrypt_through_either_member() {
    let peer = AwsEsdk::new().unwrap();
    let (private_pem, public_pem) = rsa_pems(2048);
    let aes_key = vec![9u8; 32];
    let their_aes = peer.raw_aes(NAMESPACE, "aes", &aes_key).unwrap();
    let their_rsa = peer
        .raw_rsa(NAMESPACE, "rsa", padding("oaep-sha256"), Some(&public_pem), Some(&private_pem))
        .unwrap();
    let their_multi = peer.multi(their_aes.clone(), vec![their_rsa.clone()]).unwrap();
    let our_aes =
        || RawAesKeyring::new(NAMESPACE, "aes", SecretBytes::new(aes_key.clone())).unwrap();
    let our_rsa =
        || RawRsaKeyring::from_pem(NAMESPACE, "rsa", RsaPadding::OaepSha256, &private_pem).unwrap();
    let our_multi = || {
        let members: Vec<Arc<dyn Keyring>> = vec![Arc::new(our_aes()), Arc::new(our_rsa())];
        MultiKeyring::from_list(members).unwrap()
    };
    let context = large_context();
    let data = plaintext(9000);
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384;

    let message = arca_encrypt(our_multi(), suite, 1024, &context, &data);
    assert_eq!(peer.decrypt(&their_aes, &context, &message).unwrap(), data);
    assert_eq!(peer.decrypt(&their_rsa, &context, &message).unwrap(), data);

    let message = peer.encrypt(&their_multi, suite.id(), 1024, &context, &data).unwrap();
    assert_eq!(arca_decrypt(our_aes(), &message).unwrap(), data);
    assert_eq!(arca_decrypt(our_rsa(), &message).unwrap(), data);
    assert_eq!(arca_decrypt(our_multi(), &message).unwrap(), data);
}

#[test]
fn tampered_and_wrong_key_messages_are_refused_by_both() {
    let peer = AwsEsdk::new().unwrap();
    let key = vec![1u8; 32];
    let theirs = peer.raw_aes(NAMESPACE, "aes", &key).unwrap();
    let other = peer.raw_aes(NAMESPACE, "aes", &[2u8; 32]).unwrap();
    let ours = || RawAesKeyring::new(NAMESPACE, "aes", SecretBytes::new(key.clone())).unwrap();
    let context = HashMap::new();
    let data = plaintext(5000);
    for suite in AlgorithmSuite::ALL {
        let message = arca_encrypt(ours(), suite, 512, &context, &data);
        assert!(peer.decrypt(&other, &context, &message).is_err(), "0x{:04x}", suite.id());
        let mut tampered = peer.encrypt(&theirs, suite.id(), 512, &context, &data).unwrap();
        let middle = tampered.len() / 2;
        tampered[middle] ^= 0x01;
        assert!(arca_decrypt(ours(), &tampered).is_err(), "0x{:04x}", suite.id());
        let mut tampered = message.clone();
        tampered[middle] ^= 0x01;
        assert!(peer.decrypt(&theirs, &context, &tampered).is_err(), "0x{:04x}", suite.id());
    }
}
