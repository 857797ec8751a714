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
    Caller::for_tests(account, None, Vec::new())
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

/// Issue 10 item 3: a key policy that grants another account `kms:*` lets it use the
/// key, never manage it.
#[tokio::test]
async fn other_accounts_get_only_the_cross_account_operations() {
    use arca_kms::api::{GetKeyPolicyRequest, PutKeyPolicyRequest, ScheduleKeyDeletionRequest};
    let (kms, _dir) = service().await;
    let owner = root("111111111111");
    let other = root("222222222222");
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let key = kms
        .create_key(&owner, CreateKeyRequest { policy: Some(policy.into()), ..Default::default() })
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let arn = key.arn.clone().unwrap();
    let blob = kms.encrypt(&other, encrypt_request(&arn, b"shared", &[])).await.unwrap();
    let blob = blob.ciphertext_blob.unwrap();
    kms.decrypt(&other, decrypt_request(&blob, &[])).await.unwrap();
    kms.describe_key(&other, KeyIdRequest { key_id: Some(arn.clone()), ..Default::default() })
        .await
        .unwrap();

    let key_id = || Some(arn.clone());
    let refusals = [
        kms.get_key_policy(&other, GetKeyPolicyRequest { key_id: key_id(), ..Default::default() })
            .await
            .map(drop),
        kms.put_key_policy(
            &other,
            PutKeyPolicyRequest {
                key_id: key_id(),
                policy: Some(policy.replace("111111111111:root", "222222222222:root")),
                bypass_policy_lockout_safety_check: Some(true),
                ..Default::default()
            },
        )
        .await
        .map(drop),
        kms.disable_key(&other, KeyIdRequest { key_id: key_id(), ..Default::default() })
            .await
            .map(drop),
        kms.schedule_key_deletion(
            &other,
            ScheduleKeyDeletionRequest { key_id: key_id(), ..Default::default() },
        )
        .await
        .map(drop),
    ];
    for refusal in refusals {
        assert_eq!(refusal.unwrap_err().code(), "AccessDeniedException");
    }
    // A made-up key of the other account is refused the same way, before any lookup.
    let missing = arn.replace(&key.key_id.clone().unwrap(), "00000000-0000-0000-0000-000000000000");
    let answer =
        kms.disable_key(&other, KeyIdRequest { key_id: Some(missing), ..Default::default() }).await;
    assert_eq!(answer.unwrap_err().code(), "AccessDeniedException");

    let after = kms
        .describe_key(&owner, KeyIdRequest { key_id: Some(arn.clone()), ..Default::default() })
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(after.key_state.as_deref(), Some("Enabled"));
    let kept = kms
        .get_key_policy(&owner, GetKeyPolicyRequest { key_id: Some(arn), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(kept.policy.as_deref(), Some(policy));
}

/// The AWS managed key behind `alias/aws/SERVICE` is created only for a caller its
/// policy would let use it.
#[tokio::test]
async fn aws_managed_keys_are_not_created_for_callers_who_may_not_use_them() {
    use arca_kms::api::ListKeysRequest;
    let (kms, _dir) = service().await;
    let account = "111122223333";
    let nobody = Caller::for_tests(account, Some("nobody"), Vec::new());
    let answer = kms.encrypt(&nobody, encrypt_request("alias/aws/ebs", b"x", &[])).await;
    assert_eq!(answer.unwrap_err().code(), "AccessDeniedException");
    let keys = kms.list_keys(&root(account), ListKeysRequest::default()).await.unwrap();
    assert_eq!(keys.keys.unwrap_or_default().len(), 0);

    // Through the service it protects, the account's principals may use it.
    let via_ebs = root(account).via("ebs.us-east-1.amazonaws.com");
    kms.encrypt(&via_ebs, encrypt_request("alias/aws/ebs", b"x", &[])).await.unwrap();
    let keys = kms.list_keys(&root(account), ListKeysRequest::default()).await.unwrap();
    assert_eq!(keys.keys.unwrap_or_default().len(), 1);
}

/// Issue 10 item 7: an encryption context past AWS's size is a validation error.
#[tokio::test]
async fn oversized_encryption_contexts_are_refused() {
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
    let big = "v".repeat(8192);
    let error = kms.encrypt(&caller, encrypt_request(&key_id, b"x", &[("k", &big)])).await;
    assert_eq!(error.unwrap_err().code(), "ValidationException");
    let keys: Vec<String> = (0..65).map(|i| format!("k{i}")).collect();
    let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "")).collect();
    let error = kms.encrypt(&caller, encrypt_request(&key_id, b"x", &pairs)).await;
    assert_eq!(error.unwrap_err().code(), "ValidationException");
    let fits = "v".repeat(8000);
    kms.encrypt(&caller, encrypt_request(&key_id, b"x", &[("k", &fits)])).await.unwrap();
}
