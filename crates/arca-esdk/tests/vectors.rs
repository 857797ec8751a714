//! Decrypts every message of the shared AWS Encryption SDK vectors
//! (`/work/shared/data/esdk-vectors`, read by path, never copied): each positive vector
//! must give its plaintext, each negative one must be refused.
//!
//! Without the vectors (a clone with no `../shared` beside it) the test is skipped with
//! a banner on stderr; under `ARCA_TEST_REQUIRE_ALL=1`, as the full `./scripts/test`
//! sets, it fails instead.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arca_crypto::SecretBytes;
use arca_crypto::rsa::RsaPadding;
use arca_esdk::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring};
use arca_esdk::{Client, CommitmentPolicy, DecryptOptions, DefaultCmm};
use base64::Engine as _;
use serde_json::Value;

/// `ARCA_ESDK_VECTORS`, else `shared/data/esdk-vectors` beside the checkout (or its
/// parent, for a worktree), else `/work/shared/data/esdk-vectors`; `None` if none holds
/// a `manifest.json`.
fn vectors_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ARCA_ESDK_VECTORS") {
        return Some(PathBuf::from(dir));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        root.join("../shared/data/esdk-vectors"),
        root.join("../../shared/data/esdk-vectors"),
        PathBuf::from("/work/shared/data/esdk-vectors"),
    ]
    .into_iter()
    .find(|dir| dir.join("manifest.json").is_file())
}

/// Whether `ARCA_TEST_REQUIRE_ALL` asks for every test to run (any value but empty or `0`).
fn skipping_is_forbidden() -> bool {
    std::env::var("ARCA_TEST_REQUIRE_ALL").is_ok_and(|value| !value.is_empty() && value != "0")
}

/// Says loudly that the vectors were not checked. It writes to the stderr handle itself:
/// `eprintln!` inside a test is captured and shown only when the test fails.
fn announce_skip() {
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n{rule}\nSKIPPED: the shared ESDK test vectors (arca-esdk/tests/vectors.rs) did not run: \
         no ../shared/data/esdk-vectors\n  beside the checkout and ARCA_ESDK_VECTORS is not set. \
         The test passes without checking anything;\n  ARCA_TEST_REQUIRE_ALL=1 makes this a \
         failure.\n{rule}",
        rule = "!".repeat(88),
    );
}

fn resolve(dir: &Path, uri: &str) -> PathBuf {
    dir.join(uri.strip_prefix("file://").unwrap())
}

fn keyring_for(master_key: &Value, keys: &Value) -> Arc<dyn Keyring> {
    let key_name = master_key["key"].as_str().unwrap();
    let key = &keys[key_name];
    let namespace = master_key["provider-id"].as_str().unwrap();
    let key_id = key["key-id"].as_str().unwrap();
    let material = key["material"].as_str().unwrap();
    match master_key["encryption-algorithm"].as_str().unwrap() {
        "aes" => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(material).unwrap();
            Arc::new(RawAesKeyring::new(namespace, key_id, SecretBytes::new(bytes)).unwrap())
        }
        "rsa" => {
            let padding = match (
                master_key["padding-algorithm"].as_str().unwrap(),
                master_key["padding-hash"].as_str(),
            ) {
                ("pkcs1", _) => RsaPadding::Pkcs1,
                ("oaep-mgf1", Some("sha1")) => RsaPadding::OaepSha1,
                ("oaep-mgf1", Some("sha256")) => RsaPadding::OaepSha256,
                ("oaep-mgf1", Some("sha384")) => RsaPadding::OaepSha384,
                ("oaep-mgf1", Some("sha512")) => RsaPadding::OaepSha512,
                other => panic!("unknown padding {other:?}"),
            };
            Arc::new(
                RawRsaKeyring::from_pem(namespace, key_id, padding, material.as_bytes()).unwrap(),
            )
        }
        other => panic!("unknown algorithm {other}"),
    }
}

#[test]
fn every_shared_vector_decrypts_or_is_refused() {
    let Some(dir) = vectors_dir() else {
        assert!(
            !skipping_is_forbidden(),
            "the shared ESDK vectors are not found and ARCA_TEST_REQUIRE_ALL forbids skipping: \
             put ../shared beside the checkout or set ARCA_ESDK_VECTORS"
        );
        announce_skip();
        return;
    };
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let keys: Value =
        serde_json::from_slice(&std::fs::read(dir.join("keys.json")).unwrap()).unwrap();
    let keys = &keys["keys"];
    let client = Client::new(CommitmentPolicy::ForbidEncryptAllowDecrypt);
    let mut plaintexts: HashMap<String, Vec<u8>> = HashMap::new();
    let (mut positive, mut negative) = (0usize, 0usize);
    let mut failures = Vec::new();
    let tests = manifest["tests"].as_object().unwrap();
    for (name, test) in tests {
        let keyrings: Vec<Arc<dyn Keyring>> = test["master-keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|master_key| keyring_for(master_key, keys))
            .collect();
        let cmm = DefaultCmm::from_keyring(MultiKeyring::from_list(keyrings).unwrap());
        let ciphertext =
            std::fs::read(resolve(&dir, test["ciphertext"].as_str().unwrap())).unwrap();
        let options = DecryptOptions {
            unsigned_only: test.get("decryption-method").and_then(Value::as_str)
                == Some("streaming-unsigned-only"),
            ..DecryptOptions::default()
        };
        // Both the one-shot and the streaming paths must agree.
        let one_shot = client.decrypt(&cmm, &ciphertext, &options);
        let mut streamed = Vec::new();
        let stream = client.decrypt_stream(&cmm, &options, &ciphertext[..], &mut streamed);
        match &test["result"] {
            result if result.get("output").is_some() => {
                let uri = result["output"]["plaintext"].as_str().unwrap().to_string();
                let expected = plaintexts
                    .entry(uri.clone())
                    .or_insert_with(|| std::fs::read(resolve(&dir, &uri)).unwrap());
                match one_shot {
                    Ok((plaintext, _))
                        if &plaintext == expected && stream.is_ok() && &streamed == expected =>
                    {
                        positive += 1
                    }
                    other => failures.push(format!(
                        "{name} ({}): {:?}",
                        test["description"],
                        other.map(|(p, _)| p.len())
                    )),
                }
            }
            _ => match (one_shot, stream) {
                (Err(_), Err(_)) => negative += 1,
                _ => failures
                    .push(format!("{name} ({}): accepted a bad message", test["description"])),
            },
        }
    }
    println!(
        "esdk vectors: {positive} positive passed, {negative} negative refused, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert_eq!(positive + negative, tests.len());
}
