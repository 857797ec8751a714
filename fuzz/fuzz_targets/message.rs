//! Fuzzes the message parser and the whole decryption path: any input must give a
//! plaintext or an error, never a panic. Seeds in `corpus/message` decrypt under the
//! fixed key below (namespace `fuzz`, name `key`, 32 bytes of 0x42).
#![no_main]

use arca_crypto::SecretBytes;
use arca_esdk::keyring::RawAesKeyring;
use arca_esdk::{Client, CommitmentPolicy, DecryptOptions, DefaultCmm, MessageHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = MessageHeader::parse(data);
    let keyring = RawAesKeyring::new("fuzz", "key", SecretBytes::new(vec![0x42; 32])).unwrap();
    let cmm = DefaultCmm::from_keyring(keyring);
    let client = Client::new(CommitmentPolicy::ForbidEncryptAllowDecrypt);
    let _ = client.decrypt(&cmm, data, &DecryptOptions::default());
});
