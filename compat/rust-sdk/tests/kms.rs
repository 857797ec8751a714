//! KMS through the AWS SDK for Rust against a live `arca server`.
//!
//! The server is named by `ARCA_ENDPOINT`; credentials and region come from the SDK's
//! own default chains (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or the shared
//! files), with us-east-1 when no region is configured. Each test makes its own keys,
//! so the tests run in parallel and in any order.

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeyState, Tag};

/// A KMS client for the server under test; retries off so every error is the server's
/// first answer.
async fn kms() -> Client {
    let endpoint = std::env::var("ARCA_ENDPOINT")
        .expect("ARCA_ENDPOINT names the arca server under test (see scripts/lib/rust-sdk.sh)");
    let region = RegionProviderChain::default_provider().or_else("us-east-1");
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&config)
}

/// A unique suffix for names (aliases) that must not collide across tests and runs.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().tag_key(key).tag_value(value).build().expect("key and value are set")
}

/// Creates a symmetric key and returns (key id, key ARN).
async fn create_key(client: &Client, description: &str) -> (String, String) {
    let created = client
        .create_key()
        .description(description)
        .tags(tag("team", "compat"))
        .tags(tag("suite", "rust-sdk"))
        .send()
        .await
        .expect("CreateKey succeeds");
    let metadata = created.key_metadata().expect("CreateKey returns KeyMetadata");
    let arn = metadata.arn().expect("KeyMetadata has an Arn").to_owned();
    (metadata.key_id().to_owned(), arn)
}

#[tokio::test]
async fn create_key_with_description_and_tags() {
    let client = kms().await;
    let (key_id, arn) = create_key(&client, "rust sdk: create").await;
    assert!(arn.starts_with("arn:aws:kms:"), "key ARN {arn}");
    assert!(arn.ends_with(&format!(":key/{key_id}")), "key ARN {arn} names key {key_id}");

    let described = client.describe_key().key_id(&key_id).send().await.expect("DescribeKey");
    let metadata = described.key_metadata().expect("KeyMetadata");
    assert_eq!(metadata.description(), Some("rust sdk: create"));
    assert_eq!(metadata.key_state(), Some(&KeyState::Enabled));
    assert!(metadata.enabled(), "a new key is enabled");

    let tags = client.list_resource_tags().key_id(&key_id).send().await.expect("ListResourceTags");
    let mut pairs: Vec<(&str, &str)> =
        tags.tags().iter().map(|tag| (tag.tag_key(), tag.tag_value())).collect();
    pairs.sort_unstable();
    assert_eq!(pairs, vec![("suite", "rust-sdk"), ("team", "compat")]);
}

#[tokio::test]
async fn describe_key_by_id_arn_alias_and_alias_arn() {
    let client = kms().await;
    let (key_id, arn) = create_key(&client, "rust sdk: describe").await;
    let alias = format!("alias/{}", unique("rust-sdk-describe"));
    client
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&key_id)
        .send()
        .await
        .expect("CreateAlias");
    let alias_arn = arn.replace(&format!("key/{key_id}"), &alias);

    for name in [&key_id, &arn, &alias, &alias_arn] {
        let described = client
            .describe_key()
            .key_id(name)
            .send()
            .await
            .unwrap_or_else(|error| panic!("DescribeKey {name}: {error:?}"));
        let metadata = described.key_metadata().expect("KeyMetadata");
        assert_eq!(metadata.key_id(), key_id, "DescribeKey {name}");
        assert_eq!(metadata.arn(), Some(arn.as_str()), "DescribeKey {name}");
    }

    let aliases = client.list_aliases().key_id(&key_id).send().await.expect("ListAliases");
    let names: Vec<&str> =
        aliases.aliases().iter().filter_map(|alias| alias.alias_name()).collect();
    assert_eq!(names, vec![alias.as_str()]);
}

#[tokio::test]
async fn encrypt_decrypt_with_encryption_context() {
    let client = kms().await;
    let (key_id, arn) = create_key(&client, "rust sdk: encrypt").await;
    let plaintext = b"attack at dawn".to_vec();

    let encrypted = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(plaintext.clone()))
        .encryption_context("purpose", "compat")
        .encryption_context("department", "rust")
        .send()
        .await
        .expect("Encrypt");
    assert_eq!(encrypted.key_id(), Some(arn.as_str()));
    let ciphertext = encrypted.ciphertext_blob().expect("CiphertextBlob").clone();
    assert_ne!(ciphertext.as_ref(), plaintext.as_slice());

    let decrypted = client
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .encryption_context("department", "rust")
        .encryption_context("purpose", "compat")
        .send()
        .await
        .expect("Decrypt with the same context");
    assert_eq!(decrypted.plaintext().expect("Plaintext").as_ref(), plaintext.as_slice());
    assert_eq!(decrypted.key_id(), Some(arn.as_str()));

    let wrong_context = client
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .encryption_context("purpose", "something else")
        .encryption_context("department", "rust")
        .send()
        .await
        .expect_err("Decrypt with a different context fails");
    assert!(
        wrong_context
            .as_service_error()
            .is_some_and(|error| error.is_invalid_ciphertext_exception()),
        "wrong context: {wrong_context:?}"
    );

    let no_context = client
        .decrypt()
        .ciphertext_blob(ciphertext)
        .send()
        .await
        .expect_err("Decrypt without the context fails");
    assert!(
        no_context.as_service_error().is_some_and(|error| error.is_invalid_ciphertext_exception()),
        "missing context: {no_context:?}"
    );
}

#[tokio::test]
async fn generate_data_key_aes_256() {
    let client = kms().await;
    let (key_id, arn) = create_key(&client, "rust sdk: data key").await;
    let generated = client
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("purpose", "data-key")
        .send()
        .await
        .expect("GenerateDataKey");
    assert_eq!(generated.key_id(), Some(arn.as_str()));
    let plaintext = generated.plaintext().expect("Plaintext").clone();
    assert_eq!(plaintext.as_ref().len(), 32);

    let decrypted = client
        .decrypt()
        .ciphertext_blob(generated.ciphertext_blob().expect("CiphertextBlob").clone())
        .encryption_context("purpose", "data-key")
        .send()
        .await
        .expect("Decrypt of the data key");
    assert_eq!(decrypted.plaintext().expect("Plaintext").as_ref(), plaintext.as_ref());
}

#[tokio::test]
async fn re_encrypt_to_another_key_and_context() {
    let client = kms().await;
    let (source_id, _) = create_key(&client, "rust sdk: re-encrypt source").await;
    let (destination_id, destination_arn) =
        create_key(&client, "rust sdk: re-encrypt destination").await;
    let encrypted = client
        .encrypt()
        .key_id(&source_id)
        .plaintext(Blob::new(b"moving house".to_vec()))
        .encryption_context("stage", "source")
        .send()
        .await
        .expect("Encrypt");

    let re_encrypted = client
        .re_encrypt()
        .ciphertext_blob(encrypted.ciphertext_blob().expect("CiphertextBlob").clone())
        .source_encryption_context("stage", "source")
        .destination_key_id(&destination_id)
        .destination_encryption_context("stage", "destination")
        .send()
        .await
        .expect("ReEncrypt");
    assert_eq!(re_encrypted.key_id(), Some(destination_arn.as_str()));
    assert!(re_encrypted.source_key_id().is_some_and(|id| id.ends_with(&source_id)));

    let decrypted = client
        .decrypt()
        .ciphertext_blob(re_encrypted.ciphertext_blob().expect("CiphertextBlob").clone())
        .encryption_context("stage", "destination")
        .send()
        .await
        .expect("Decrypt of the re-encrypted blob");
    assert_eq!(decrypted.plaintext().expect("Plaintext").as_ref(), b"moving house");
    assert_eq!(decrypted.key_id(), Some(destination_arn.as_str()));
}

#[tokio::test]
async fn list_keys_with_the_paginator() {
    let client = kms().await;
    let mut created = Vec::new();
    for index in 0..3 {
        created.push(create_key(&client, &format!("rust sdk: list {index}")).await.0);
    }

    let mut pages = client.list_keys().limit(1).into_paginator().send();
    let mut listed = Vec::new();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.expect("ListKeys page");
        page_count += 1;
        assert!(page.keys().len() <= 1, "Limit 1 gives pages of at most one key");
        listed.extend(page.keys().iter().filter_map(|key| key.key_id().map(str::to_owned)));
    }
    assert!(page_count >= 3, "{page_count} pages for at least 3 keys");
    for key_id in &created {
        assert!(listed.contains(key_id), "ListKeys pages include {key_id}");
    }
    let mut unique_ids = listed.clone();
    unique_ids.sort_unstable();
    unique_ids.dedup();
    assert_eq!(unique_ids.len(), listed.len(), "no key is listed twice");
}

#[tokio::test]
async fn disabled_key_refuses_encrypt() {
    let client = kms().await;
    let (key_id, _) = create_key(&client, "rust sdk: disable").await;
    client.disable_key().key_id(&key_id).send().await.expect("DisableKey");
    let described = client.describe_key().key_id(&key_id).send().await.expect("DescribeKey");
    assert_eq!(described.key_metadata().and_then(|m| m.key_state()), Some(&KeyState::Disabled));

    let refused = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"no".to_vec()))
        .send()
        .await
        .expect_err("Encrypt under a disabled key fails");
    assert!(
        refused.as_service_error().is_some_and(|error| error.is_disabled_exception()),
        "disabled key: {refused:?}"
    );

    client.enable_key().key_id(&key_id).send().await.expect("EnableKey");
    client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"yes".to_vec()))
        .send()
        .await
        .expect("Encrypt after EnableKey");
}

#[tokio::test]
async fn schedule_and_cancel_key_deletion() {
    let client = kms().await;
    let (key_id, arn) = create_key(&client, "rust sdk: delete").await;
    let scheduled = client
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .expect("ScheduleKeyDeletion");
    assert_eq!(scheduled.key_id(), Some(arn.as_str()));
    assert_eq!(scheduled.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days(), Some(7));
    assert!(scheduled.deletion_date().is_some(), "ScheduleKeyDeletion returns a DeletionDate");

    let refused = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"no".to_vec()))
        .send()
        .await
        .expect_err("Encrypt under a key pending deletion fails");
    assert!(
        refused.as_service_error().is_some_and(|error| error.is_kms_invalid_state_exception()),
        "pending deletion: {refused:?}"
    );

    client.cancel_key_deletion().key_id(&key_id).send().await.expect("CancelKeyDeletion");
    let described = client.describe_key().key_id(&key_id).send().await.expect("DescribeKey");
    assert_eq!(described.key_metadata().and_then(|m| m.key_state()), Some(&KeyState::Disabled));
}

#[tokio::test]
async fn key_rotation_status() {
    let client = kms().await;
    let (key_id, _) = create_key(&client, "rust sdk: rotation").await;
    let status = client
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .expect("GetKeyRotationStatus");
    assert!(!status.key_rotation_enabled(), "rotation is off for a new key");

    client
        .enable_key_rotation()
        .key_id(&key_id)
        .rotation_period_in_days(90)
        .send()
        .await
        .expect("EnableKeyRotation");
    let status = client
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .expect("GetKeyRotationStatus");
    assert!(status.key_rotation_enabled(), "rotation is on after EnableKeyRotation");
    assert_eq!(status.rotation_period_in_days(), Some(90));
}

#[tokio::test]
async fn generate_random_bytes() {
    let client = kms().await;
    let first = client.generate_random().number_of_bytes(32).send().await.expect("GenerateRandom");
    let second = client.generate_random().number_of_bytes(32).send().await.expect("GenerateRandom");
    let first = first.plaintext().expect("Plaintext");
    let second = second.plaintext().expect("Plaintext");
    assert_eq!(first.as_ref().len(), 32);
    assert_ne!(first.as_ref(), second.as_ref(), "two random draws differ");

    let too_many = client
        .generate_random()
        .number_of_bytes(1025)
        .send()
        .await
        .expect_err("GenerateRandom of more than 1024 bytes fails");
    assert!(too_many.as_service_error().is_some(), "a service error: {too_many:?}");
}
