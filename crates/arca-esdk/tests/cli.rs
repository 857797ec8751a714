//! The `arca encrypt` / `arca decrypt` front end, driven through its argument parser.
#![cfg(feature = "cli")]

use arca_esdk::cli::{DecryptArgs, EncryptArgs, run_decrypt, run_encrypt};
use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Encrypt(EncryptArgs),
    Decrypt(DecryptArgs),
}

fn run(args: &[&str]) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(std::iter::once("arca").chain(args.iter().copied()))?;
    match cli.command {
        Command::Encrypt(args) => run_encrypt(args),
        Command::Decrypt(args) => run_decrypt(args),
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("arca-esdk-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn file_round_trip_and_refusals_leave_no_output() {
    let dir = scratch("files");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    std::fs::write(dir.join("key"), [9u8; 32]).unwrap();
    std::fs::write(dir.join("other"), [8u8; 32]).unwrap();
    std::fs::write(dir.join("plain"), vec![1u8; 50_000]).unwrap();
    let key = format!("key-file={}", path("key"));
    let other = format!("key-file={}", path("other"));
    let wrap = ["-w", "provider=raw-aes", "namespace=ns", "name=k"];
    let (plain, enc, dec, bad, meta) =
        (path("plain"), path("enc"), path("dec"), path("bad"), path("meta"));
    let mut args = vec!["encrypt", "-i", &plain, "-o", &enc];
    args.extend(wrap);
    args.extend([key.as_str(), "-c", "team=a", "--frame-length", "1024", "--algorithm", "0x0478"]);
    run(&args).unwrap();
    let mut args = vec![
        "decrypt",
        "-i",
        &enc,
        "-o",
        &dec,
        "--decrypt-unsigned",
        "--metadata-output",
        &meta,
        "-c",
        "team=a",
        "team",
    ];
    args.extend(wrap);
    args.push(&key);
    run(&args).unwrap();
    assert_eq!(std::fs::read(dir.join("dec")).unwrap(), vec![1u8; 50_000]);
    let metadata = std::fs::read_to_string(dir.join("meta")).unwrap();
    assert!(metadata.contains("AES_256_GCM_HKDF_SHA512_COMMIT_KEY"), "{metadata}");
    // Wrong key, wrong context, missing context key, commitment policy: refused, no file.
    for extra in [
        vec![other.as_str()],
        vec![key.as_str(), "-c", "team=b"],
        vec![key.as_str(), "-c", "absent"],
    ] {
        let mut args = vec!["decrypt", "-i", &enc, "-o", &bad];
        args.extend(wrap);
        args.extend(extra);
        assert!(run(&args).is_err());
        assert!(!dir.join("bad").exists());
    }
    // Truncated input: refused and no file left behind.
    let message = std::fs::read(dir.join("enc")).unwrap();
    std::fs::write(dir.join("truncated"), &message[..message.len() - 10]).unwrap();
    let truncated = path("truncated");
    let mut args = vec!["decrypt", "-i", &truncated, "-o", &bad];
    args.extend(wrap);
    args.push(&key);
    assert!(run(&args).is_err());
    let leftovers: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 7, "{leftovers:?}");
    // Legacy suite refused under the default policy.
    let mut args = vec![
        "encrypt",
        "-i",
        &enc,
        "-o",
        &bad,
        "--algorithm",
        "AES_256_GCM_IV12_TAG16_HKDF_SHA256",
    ];
    args.extend(wrap);
    args.push(&key);
    assert!(run(&args).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn base64_is_detected_and_decoded() {
    let dir = scratch("base64");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    std::fs::write(dir.join("key"), [3u8; 16]).unwrap();
    std::fs::write(dir.join("plain"), b"hello base64").unwrap();
    let key = format!("key-file={}", path("key"));
    let wrap = ["-w", "provider=raw-aes", "namespace=ns", "name=k"];
    let (plain, enc, dec) = (path("plain"), path("enc"), path("dec"));
    let mut args = vec!["encrypt", "--encode", "-i", &plain, "-o", &enc];
    args.extend(wrap);
    args.push(&key);
    run(&args).unwrap();
    let mut args = vec!["decrypt", "-i", &enc, "-o", &dec];
    args.extend(wrap);
    args.push(&key);
    let error = run(&args).unwrap_err().to_string();
    assert!(error.contains("--decode"), "{error}");
    args.push("--decode");
    run(&args).unwrap();
    assert_eq!(std::fs::read(dir.join("dec")).unwrap(), b"hello base64");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn directories_suffixes_and_no_overwrite() {
    let dir = scratch("dirs");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    std::fs::write(dir.join("key"), [5u8; 24]).unwrap();
    std::fs::create_dir_all(dir.join("in/nested/deeper")).unwrap();
    std::fs::write(dir.join("in/a.txt"), b"alpha").unwrap();
    std::fs::write(dir.join("in/nested/deeper/b.txt"), b"beta").unwrap();
    let key = format!("key-file={}", path("key"));
    let wrap = ["-w", "provider=raw-aes", "namespace=ns", "name=k"];
    let (input, encrypted, decrypted) = (path("in"), path("enc"), path("dec"));
    // A directory needs --recursive.
    let mut args = vec!["encrypt", "-i", &input, "-o", &encrypted];
    args.extend(wrap);
    args.push(&key);
    assert!(run(&args).is_err());
    args.push("--recursive");
    run(&args).unwrap();
    assert!(dir.join("enc/a.txt.encrypted").is_file());
    assert!(dir.join("enc/nested/deeper/b.txt.encrypted").is_file());
    let mut args = vec!["decrypt", "-r", "-i", &encrypted, "-o", &decrypted, "--suffix", ".plain"];
    args.extend(wrap);
    args.push(&key);
    run(&args).unwrap();
    assert_eq!(
        std::fs::read(dir.join("dec/nested/deeper/b.txt.encrypted.plain")).unwrap(),
        b"beta"
    );
    // --no-overwrite leaves an existing output untouched.
    std::fs::write(dir.join("dec/a.txt.encrypted.plain"), b"keep me").unwrap();
    args.push("--no-overwrite");
    args.push("--quiet");
    run(&args).unwrap();
    assert_eq!(std::fs::read(dir.join("dec/a.txt.encrypted.plain")).unwrap(), b"keep me");
    // A single file into an existing directory gets the default suffix.
    let single = path("in/a.txt");
    let mut args = vec!["encrypt", "-i", &single, "-o", &decrypted];
    args.extend(wrap);
    args.push(&key);
    run(&args).unwrap();
    assert!(dir.join("dec/a.txt.encrypted").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}
