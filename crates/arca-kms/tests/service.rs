//! The KMS service over a real (in-memory SQLite) store, without HTTP.

use std::sync::Arc;

use arca_crypto::SecretBytes;
use arca_gate::{Caller, Clock};
use arca_kms::{
    KmsError, KmsService,
    api::{CreateKeyRequest, DecryptRequest, EncryptRequest, KeyIdRequest},
    wire::{Blob, SecretBlob},
};
use arca_seal::{RootKeyring, SealProvider};
use arca_store::Store;

async fn service() -> (Arc<KmsService>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
    let keyring = RootKeyring::unseal(
        Arc::clone(&store),
        &SealProvider::File { path: dir.path().join("root.key") },
    )
    .await
    .unwrap();
    let kms = KmsService::new(store, keyring, Clock::default());
    kms.spawn_invalidation();
    (kms, dir)
}

fn root(account: &str) -> Caller {
    Caller {
        account_id: account.into(),
        principal_arn: format!("arn:aws:iam::{account}:root"),
        user_name: "root".into(),
        user_id: account.into(),
        is_account_root: true,
        is_bootstrap_admin: false,
        region: "us-east-1".into(),
        access_key_id: "AKIATEST".into(),
        source_ip: None,
        identity_policies: Arc::new(Vec::new()),
        via_service: None,
        now_ms: 0,
    }
}

fn encrypt_request(key_id: &str, plaintext: &[u8], context: &[(&str, &str)]) -> EncryptRequest {
    EncryptRequest {
        key_id: Some(key_id.into()),
        plaintext: Some(SecretBlob(SecretBytes::from_slice(plaintext))),
        encryption_context: Some(
            context.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ),
        ..Default::default()
    }
}

fn decrypt_request(blob: &Blob, context: &[(&str, &str)]) -> DecryptRequest {
    DecryptRequest {
        ciphertext_blob: Some(blob.clone()),
        encryption_context: Some(
            context.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ),
        ..Default::default()
    }
}

#[tokio::test]
async fn encrypt_decrypt_and_every_tampering_is_one_error() {
    let (kms, _dir) = service().await;
    let caller = root("111122223333");
    let key =
        kms.create_key(&caller, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap();
    let key_id = key.key_id.unwrap();
    let blob = kms
        .encrypt(&caller, encrypt_request(&key_id, b"secret", &[("a", "1")]))
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let plaintext = kms
        .decrypt(&caller, decrypt_request(&blob, &[("a", "1")]))
        .await
        .unwrap()
        .plaintext
        .unwrap();
    assert_eq!(plaintext.0.expose_secret(), b"secret");
    assert!(!format!("{plaintext:?}").contains("secret"));

    let mut flipped = blob.clone();
    let last = flipped.0.len() - 1;
    flipped.0[last] ^= 1;
    let mut wrong_version = blob.clone();
    wrong_version.0[20] ^= 7;
    for (bad, context) in [
        (&blob, &[("a", "2")][..]),
        (&blob, &[][..]),
        (&flipped, &[("a", "1")][..]),
        (&wrong_version, &[("a", "1")][..]),
    ] {
        let error = kms.decrypt(&caller, decrypt_request(bad, context)).await.unwrap_err();
        assert_eq!(error, KmsError::InvalidCiphertext);
    }
}

#[tokio::test]
async fn state_changes_reach_the_hot_path_at_once() {
    let (kms, _dir) = service().await;
    let caller = root("111122223333");
    let key_id = kms
        .create_key(&caller, CreateKeyRequest::default())
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
        .unwrap();
    kms.encrypt(&caller, encrypt_request(&key_id, b"x", &[])).await.unwrap();
    kms.disable_key(&caller, KeyIdRequest { key_id: Some(key_id.clone()), ..Default::default() })
        .await
        .unwrap();
    let error = kms.encrypt(&caller, encrypt_request(&key_id, b"x", &[])).await.unwrap_err();
    assert_eq!(error.code(), "DisabledException");
}

#[tokio::test]
async fn keys_are_invisible_to_other_accounts_by_id() {
    let (kms, _dir) = service().await;
    let owner = root("111122223333");
    let key =
        kms.create_key(&owner, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap();
    let stranger = root("444455556666");
    let by_id = kms
        .describe_key(&stranger, KeyIdRequest { key_id: key.key_id.clone(), ..Default::default() })
        .await;
    assert_eq!(by_id.unwrap_err().code(), "NotFoundException");
    let by_arn = kms
        .describe_key(&stranger, KeyIdRequest { key_id: key.arn.clone(), ..Default::default() })
        .await;
    assert_eq!(by_arn.unwrap_err().code(), "AccessDeniedException");
}
