//! The `arca` binary itself: it starts, names its commands, and refuses a bad
//! configuration with the key's name. Being an integration test, this also makes
//! `cargo test` build `target/debug/arca`, which the compat suites then drive.

use std::process::Command;

fn arca() -> Command {
    Command::new(env!("CARGO_BIN_EXE_arca"))
}

#[test]
fn help_names_every_command() {
    let output = arca().arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for command in ["server", "admin", "audit", "encrypt", "decrypt", "scan"] {
        assert!(text.contains(command), "{command} missing from:\n{text}");
    }
}

#[test]
fn an_unknown_configuration_key_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("arca.toml");
    std::fs::write(&config, "[server]\nlisten_on = \"127.0.0.1:1\"\n").unwrap();
    let output = arca()
        .args(["server", "--dev", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("listen_on"), "{text}");
}
