//! Round trips through every suite, frame size and keyring, and the refusals.

use std::sync::Arc;

use arca_crypto::SecretBytes;
use arca_crypto::rsa::{RsaPadding, RsaPrivateKey};
use arca_esdk::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring};
use arca_esdk::{
    AlgorithmSuite, Client, CommitmentPolicy, DecryptOptions, DefaultCmm, EncryptOptions,
    EncryptionContext, Error,
};
use proptest::prelude::*;

fn aes(name: &str, len: usize) -> RawAesKeyring {
    RawAesKeyring::new("ns", name, SecretBytes::new(vec![len as u8; len])).unwrap()
}

fn client_for(suite: AlgorithmSuite) -> Client {
    if suite.is_committing() {
        Client::default()
    } else {
        Client::new(CommitmentPolicy::ForbidEncryptAllowDecrypt)
    }
}

#[test]
fn every_suite_and_frame_size_round_trips() {
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let plaintext: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
    for suite in AlgorithmSuite::ALL {
        let client = client_for(suite);
        for frame_length in [1u32, 128, 4096, 9_999, 10_000, 10_001, 1 << 20] {
            for len in [0usize, 1, 127, 128, 10_000] {
                let options = EncryptOptions {
                    encryption_context: [("a", "1"), ("purpose", "round trip")]
                        .into_iter()
                        .collect(),
                    suite: Some(suite),
                    frame_length,
                    plaintext_length: None,
                };
                let (message, header) = client.encrypt(&cmm, &plaintext[..len], &options).unwrap();
                assert_eq!(header.suite, suite);
                let (decrypted, info) =
                    client.decrypt(&cmm, &message, &DecryptOptions::default()).unwrap();
                assert_eq!(decrypted, &plaintext[..len], "{suite} frame {frame_length} len {len}");
                assert_eq!(info.encryption_context.get("purpose"), Some("round trip"));
                let mut streamed = Vec::new();
                client
                    .decrypt_stream(&cmm, &DecryptOptions::default(), &message[..], &mut streamed)
                    .unwrap();
                assert_eq!(streamed, &plaintext[..len]);
            }
        }
    }
}

#[test]
fn every_flipped_bit_and_truncation_is_refused() {
    let cmm = DefaultCmm::from_keyring(aes("k", 16));
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
        AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256,
    ] {
        let client = client_for(suite);
        let options =
            EncryptOptions { suite: Some(suite), frame_length: 16, ..EncryptOptions::default() };
        let (message, _) =
            client.encrypt(&cmm, b"forty bytes of plaintext, in three frames", &options).unwrap();
        for index in 0..message.len() {
            for bit in [0x01u8, 0x80] {
                let mut tampered = message.clone();
                tampered[index] ^= bit;
                assert!(
                    matches!(
                        client.decrypt(&cmm, &tampered, &DecryptOptions::default()),
                        Err(Error::DecryptionFailed)
                    ),
                    "{suite} byte {index}"
                );
            }
        }
        for cut in 0..message.len() {
            assert!(client.decrypt(&cmm, &message[..cut], &DecryptOptions::default()).is_err());
        }
        let mut extended = message.clone();
        extended.push(0);
        assert!(client.decrypt(&cmm, &extended, &DecryptOptions::default()).is_err());
    }
}

#[test]
fn commitment_policies_are_enforced() {
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let legacy = EncryptOptions {
        suite: Some(AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384),
        ..Default::default()
    };
    assert!(matches!(
        Client::default().encrypt(&cmm, b"x", &legacy),
        Err(Error::CommitmentPolicy(_))
    ));
    let forbid = Client::new(CommitmentPolicy::ForbidEncryptAllowDecrypt);
    let (message, header) = forbid.encrypt(&cmm, b"x", &EncryptOptions::default()).unwrap();
    assert_eq!(header.suite, AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384);
    assert!(Client::default().decrypt(&cmm, &message, &DecryptOptions::default()).is_err());
    assert!(
        Client::new(CommitmentPolicy::RequireEncryptAllowDecrypt)
            .decrypt(&cmm, &message, &DecryptOptions::default())
            .is_ok()
    );
    let (_, header) = Client::default().encrypt(&cmm, b"x", &EncryptOptions::default()).unwrap();
    assert_eq!(header.suite, AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384);
}

#[test]
fn max_encrypted_data_keys_and_unsigned_only() {
    let multi = MultiKeyring::from_list(vec![
        Arc::new(aes("a", 32)) as Arc<dyn Keyring>,
        Arc::new(aes("b", 24)),
    ])
    .unwrap();
    let cmm = DefaultCmm::from_keyring(multi);
    let limited = Client { max_encrypted_data_keys: Some(1), ..Client::default() };
    assert!(limited.encrypt(&cmm, b"x", &EncryptOptions::default()).is_err());
    let (message, header) =
        Client::default().encrypt(&cmm, b"x", &EncryptOptions::default()).unwrap();
    assert_eq!(header.encrypted_data_keys.len(), 2);
    assert!(limited.decrypt(&cmm, &message, &DecryptOptions::default()).is_err());
    let two = Client { max_encrypted_data_keys: Some(2), ..Client::default() };
    assert!(two.decrypt(&cmm, &message, &DecryptOptions::default()).is_ok());
    let unsigned_only = DecryptOptions { unsigned_only: true, ..Default::default() };
    assert!(Client::default().decrypt(&cmm, &message, &unsigned_only).is_err());
    let unsigned = EncryptOptions {
        suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
        ..Default::default()
    };
    let (message, _) = Client::default().encrypt(&cmm, b"x", &unsigned).unwrap();
    assert!(Client::default().decrypt(&cmm, &message, &unsigned_only).is_ok());
    // Either keyring alone decrypts.
    for single in [aes("a", 32), aes("b", 24)] {
        assert!(
            Client::default()
                .decrypt(&DefaultCmm::from_keyring(single), &message, &DecryptOptions::default())
                .is_ok()
        );
    }
    assert!(
        Client::default()
            .decrypt(&DefaultCmm::from_keyring(aes("c", 32)), &message, &DecryptOptions::default())
            .is_err()
    );
}

#[test]
fn decrypt_checks_expected_context() {
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let options = EncryptOptions {
        encryption_context: [("tenant", "a")].into_iter().collect(),
        ..Default::default()
    };
    let (message, _) = Client::default().encrypt(&cmm, b"x", &options).unwrap();
    let expect = |pairs: &[(&str, &str)]| DecryptOptions {
        encryption_context: pairs.iter().copied().collect(),
        ..Default::default()
    };
    assert!(Client::default().decrypt(&cmm, &message, &expect(&[("tenant", "a")])).is_ok());
    assert!(Client::default().decrypt(&cmm, &message, &expect(&[("tenant", "b")])).is_err());
    assert!(Client::default().decrypt(&cmm, &message, &expect(&[("other", "x")])).is_err());
    let reserved = EncryptOptions {
        encryption_context: [("aws-crypto-x", "1")].into_iter().collect(),
        ..Default::default()
    };
    assert!(Client::default().encrypt(&cmm, b"x", &reserved).is_err());
}

#[test]
fn raw_rsa_every_padding_and_public_only() {
    let private = RsaPrivateKey::generate(2048).unwrap();
    let der = private.public_key().unwrap().to_der().unwrap();
    for padding in [
        RsaPadding::Pkcs1,
        RsaPadding::OaepSha1,
        RsaPadding::OaepSha256,
        RsaPadding::OaepSha384,
        RsaPadding::OaepSha512,
    ] {
        let public_only = RawRsaKeyring::new(
            "rsa",
            "key",
            padding,
            Some(arca_crypto::rsa::RsaPublicKey::from_der(&der).unwrap()),
            None,
        )
        .unwrap();
        assert!(!public_only.can_decrypt());
        let encrypting = DefaultCmm::from_keyring(public_only);
        let (message, _) =
            Client::default().encrypt(&encrypting, b"secret", &EncryptOptions::default()).unwrap();
        assert!(
            Client::default().decrypt(&encrypting, &message, &DecryptOptions::default()).is_err()
        );
        let private_pem = RsaPrivateKey::from_der(&[]).err();
        assert!(private_pem.is_some());
    }
}

#[test]
fn streaming_encrypt_matches_one_shot_decrypt() {
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let plaintext = vec![42u8; 100_000];
    let mut message = Vec::new();
    let options = EncryptOptions { frame_length: 4096, ..Default::default() };
    Client::default().encrypt_stream(&cmm, &options, &plaintext[..], &mut message).unwrap();
    let (decrypted, _) =
        Client::default().decrypt(&cmm, &message, &DecryptOptions::default()).unwrap();
    assert_eq!(decrypted, plaintext);
}

#[test]
fn context_is_bound_to_the_message() {
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let mut context = EncryptionContext::new();
    context.insert("k", "v");
    let options = EncryptOptions { encryption_context: context, ..Default::default() };
    let (message, _) = Client::default().encrypt(&cmm, b"x", &options).unwrap();
    let position = message.windows(3).position(|w| w == b"\x00\x01v").unwrap();
    let mut tampered = message.clone();
    tampered[position + 2] = b'w';
    assert!(Client::default().decrypt(&cmm, &tampered, &DecryptOptions::default()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_round_trips(
        plaintext in proptest::collection::vec(any::<u8>(), 0..3000),
        frame_length in 1u32..700,
        suite_index in 0usize..11,
        pairs in proptest::collection::btree_map("[a-z]{1,6}", ".{0,10}", 0..4),
    ) {
        let suite = AlgorithmSuite::ALL[suite_index];
        let client = client_for(suite);
        let cmm = DefaultCmm::from_keyring(aes("k", 24));
        let options = EncryptOptions { encryption_context: pairs.into(), suite: Some(suite), frame_length, plaintext_length: None };
        let (message, _) = client.encrypt(&cmm, &plaintext, &options).unwrap();
        let (decrypted, _) = client.decrypt(&cmm, &message, &DecryptOptions::default()).unwrap();
        prop_assert_eq!(decrypted, plaintext);
    }

    #[test]
    fn arbitrary_bytes_are_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let cmm = DefaultCmm::from_keyring(aes("k", 32));
        prop_assert!(Client::new(CommitmentPolicy::ForbidEncryptAllowDecrypt).decrypt(&cmm, &bytes, &DecryptOptions::default()).is_err());
    }
}

#[test]
fn large_signed_messages_hash_on_a_second_core_and_still_verify() {
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let plaintext: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
        AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
    ] {
        let client = client_for(suite);
        let options = EncryptOptions { suite: Some(suite), ..Default::default() };
        let (message, _) = client.encrypt(&cmm, &plaintext, &options).unwrap();
        assert_eq!(
            client.decrypt(&cmm, &message, &DecryptOptions::default()).unwrap().0,
            plaintext
        );
        let mut tampered = message.clone();
        let middle = tampered.len() / 2;
        tampered[middle] ^= 4;
        let mut streamed = Vec::new();
        assert!(
            client
                .decrypt_stream(&cmm, &DecryptOptions::default(), &tampered[..], &mut streamed)
                .is_err()
        );
        // Frames before the tampered one were released, the final frame never was.
        assert!(streamed.len() < plaintext.len());
    }
}

#[test]
fn batched_and_parallel_encryption_at_batch_boundaries() {
    let client = Client { parallel_frames: true, ..Client::default() };
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let batch = (1usize << 20) / (4096 + 32) * 4096;
    let plaintext: Vec<u8> = (0..(3 * batch + 10) as u32).map(|i| (i % 253) as u8).collect();
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKey,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
    ] {
        for len in [batch - 1, batch, batch + 1, 2 * batch, 2 * batch + 4096, 3 * batch + 10] {
            for frame_length in [4096u32, 1000] {
                let options =
                    EncryptOptions { suite: Some(suite), frame_length, ..Default::default() };
                let mut streamed = Vec::new();
                client.encrypt_stream(&cmm, &options, &plaintext[..len], &mut streamed).unwrap();
                let (one_shot, _) = client.encrypt(&cmm, &plaintext[..len], &options).unwrap();
                for message in [streamed, one_shot] {
                    let (decrypted, _) =
                        client.decrypt(&cmm, &message, &DecryptOptions::default()).unwrap();
                    assert!(
                        decrypted == plaintext[..len],
                        "{suite} len {len} frame {frame_length}"
                    );
                }
            }
        }
    }
}

#[test]
fn batched_parallel_decryption_refuses_tampering_anywhere() {
    let client = Client { parallel_frames: true, ..Client::default() };
    let cmm = DefaultCmm::from_keyring(aes("k", 32));
    let plaintext: Vec<u8> = (0..2_500_000u32).map(|i| (i % 241) as u8).collect();
    let options = EncryptOptions {
        suite: Some(AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
        frame_length: 4096,
        ..Default::default()
    };
    let (message, _) = client.encrypt(&cmm, &plaintext, &options).unwrap();
    let mut streamed = Vec::new();
    client.decrypt_stream(&cmm, &DecryptOptions::default(), &message[..], &mut streamed).unwrap();
    assert!(streamed == plaintext);
    for position in [400, message.len() / 3, message.len() / 2 + 7, message.len() - 20] {
        let mut tampered = message.clone();
        tampered[position] ^= 0x40;
        assert!(client.decrypt(&cmm, &tampered, &DecryptOptions::default()).is_err());
        let mut partial = Vec::new();
        assert!(
            client
                .decrypt_stream(&cmm, &DecryptOptions::default(), &tampered[..], &mut partial)
                .is_err()
        );
        // Whatever was released is a verified prefix of the plaintext.
        assert!(partial.len() < plaintext.len() && plaintext.starts_with(&partial));
    }
}
