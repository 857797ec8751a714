//! Replays the committed fuzz corpus (the repository's `fuzz/corpus/message`) through the
//! same calls as the fuzz target: each seed decrypts, and every truncation and bit flip of
//! it is refused without a panic.

use arca_crypto::SecretBytes;
use arca_esdk::keyring::RawAesKeyring;
use arca_esdk::{Client, CommitmentPolicy, DecryptOptions, DefaultCmm, MessageHeader};

#[test]
fn corpus_replays_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/message");
    let keyring = RawAesKeyring::new("fuzz", "key", SecretBytes::new(vec![0x42; 32])).unwrap();
    let cmm = DefaultCmm::from_keyring(keyring);
    let client = Client::new(CommitmentPolicy::ForbidEncryptAllowDecrypt);
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let message = std::fs::read(entry.unwrap().path()).unwrap();
        seeds += 1;
        let (_, len) = MessageHeader::parse(&message).unwrap();
        assert!(len < message.len());
        let (plaintext, _) = client.decrypt(&cmm, &message, &DecryptOptions::default()).unwrap();
        assert!(plaintext.is_empty() || plaintext.starts_with(b"seed plaintext"));
        for cut in 0..message.len() {
            let _ = MessageHeader::parse(&message[..cut]);
            assert!(client.decrypt(&cmm, &message[..cut], &DecryptOptions::default()).is_err());
        }
        for index in 0..message.len() {
            let mut flipped = message.clone();
            flipped[index] ^= 0x10;
            let _ = MessageHeader::parse(&flipped);
            assert!(client.decrypt(&cmm, &flipped, &DecryptOptions::default()).is_err());
        }
    }
    assert!(seeds >= 5, "the corpus has {seeds} seeds");
}
