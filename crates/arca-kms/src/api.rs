//! The KMS operations' inputs and outputs, named and shaped as in the AWS model
//! (`kms/2014-11-01`). Inputs keep every member optional so that a missing required
//! member is reported as AWS reports it (a `ValidationException`), not as a
//! deserialisation failure.

use crate::wire::{Blob, EncryptionContext, SecretBlob, Tag, Timestamp};

use arca_api::shapes;

shapes! {
    /// CreateKey input.
    input CreateKeyRequest {
        /// Key policy JSON.
        policy: String,
        /// Description.
        description: String,
        /// ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT.
        key_usage: String,
        /// Deprecated alias of KeySpec.
        customer_master_key_spec: String,
        /// The key spec.
        key_spec: String,
        /// AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE.
        origin: String,
        /// Custom key store id.
        custom_key_store_id: String,
        /// Skip the lockout safety check on the policy.
        bypass_policy_lockout_safety_check: bool,
        /// Tags.
        tags: Vec<Tag>,
        /// Multi-Region key.
        multi_region: bool,
        /// External key id.
        xks_key_id: String,
    }
    /// Output carrying key metadata.
    output KeyMetadataResponse {
        /// The key's metadata.
        key_metadata: KeyMetadata,
    }
    /// Input naming one key (DescribeKey, EnableKey, DisableKey, CancelKeyDeletion, ...).
    input KeyIdRequest {
        /// Key id, key ARN, alias name or alias ARN.
        key_id: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
    }
    /// Output naming one key.
    output KeyIdResponse {
        /// The key's ARN.
        key_id: String,
    }
    /// ListKeys input.
    input ListKeysRequest {
        /// Page size, 1-1000.
        limit: i64,
        /// Where the previous page ended.
        marker: String,
    }
    /// ListKeys output.
    output ListKeysResponse {
        /// The keys.
        keys: Vec<KeyListEntry>,
        /// Marker for the next page.
        next_marker: String,
        /// Whether more pages follow.
        truncated: bool,
    }
    /// One entry of ListKeys.
    output KeyListEntry {
        /// Key id.
        key_id: String,
        /// Key ARN.
        key_arn: String,
    }
    /// ListAliases input.
    input ListAliasesRequest {
        /// Only aliases of this key.
        key_id: String,
        /// Page size.
        limit: i64,
        /// Paging marker.
        marker: String,
    }
    /// ListAliases output.
    output ListAliasesResponse {
        /// The aliases.
        aliases: Vec<AliasListEntry>,
        /// Marker for the next page.
        next_marker: String,
        /// Whether more pages follow.
        truncated: bool,
    }
    /// One alias.
    output AliasListEntry {
        /// `alias/...`.
        alias_name: String,
        /// The alias ARN.
        alias_arn: String,
        /// Target key id.
        target_key_id: String,
        /// Created.
        creation_date: Timestamp,
        /// Last updated.
        last_updated_date: Timestamp,
    }
    /// UpdateKeyDescription input.
    input UpdateKeyDescriptionRequest {
        /// Key.
        key_id: String,
        /// New description.
        description: String,
    }
    /// ScheduleKeyDeletion input.
    input ScheduleKeyDeletionRequest {
        /// Key.
        key_id: String,
        /// 7-30 days.
        pending_window_in_days: i64,
    }
    /// ScheduleKeyDeletion output.
    output ScheduleKeyDeletionResponse {
        /// Key ARN.
        key_id: String,
        /// When the key will be deleted.
        deletion_date: Timestamp,
        /// The key's state.
        key_state: String,
        /// The waiting period.
        pending_window_in_days: i64,
    }
    /// CreateAlias and UpdateAlias input.
    input AliasRequest {
        /// `alias/...`.
        alias_name: String,
        /// The key.
        target_key_id: String,
    }
    /// Encrypt input.
    input EncryptRequest {
        /// Key.
        key_id: String,
        /// Up to 4096 bytes.
        plaintext: SecretBlob,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Algorithm.
        encryption_algorithm: String,
        /// Check permissions only.
        dry_run: bool,
    }
    /// Encrypt output.
    output EncryptResponse {
        /// Ciphertext.
        ciphertext_blob: Blob,
        /// Key ARN.
        key_id: String,
        /// Algorithm.
        encryption_algorithm: String,
    }
    /// Decrypt input.
    input DecryptRequest {
        /// Ciphertext.
        ciphertext_blob: Blob,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Expected key.
        key_id: String,
        /// Algorithm.
        encryption_algorithm: String,
        /// Check permissions only.
        dry_run: bool,
    }
    /// Decrypt output.
    output DecryptResponse {
        /// Key ARN.
        key_id: String,
        /// Plaintext.
        plaintext: SecretBlob,
        /// Algorithm.
        encryption_algorithm: String,
        /// Key material id (the backing key version).
        key_material_id: String,
    }
    /// ReEncrypt input.
    input ReEncryptRequest {
        /// Ciphertext.
        ciphertext_blob: Blob,
        /// Source context.
        source_encryption_context: EncryptionContext,
        /// Expected source key.
        source_key_id: String,
        /// Destination key.
        destination_key_id: String,
        /// Destination context.
        destination_encryption_context: EncryptionContext,
        /// Source algorithm.
        source_encryption_algorithm: String,
        /// Destination algorithm.
        destination_encryption_algorithm: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
    }
    /// ReEncrypt output.
    output ReEncryptResponse {
        /// New ciphertext.
        ciphertext_blob: Blob,
        /// Source key ARN.
        source_key_id: String,
        /// Destination key ARN.
        key_id: String,
        /// Source algorithm.
        source_encryption_algorithm: String,
        /// Destination algorithm.
        destination_encryption_algorithm: String,
        /// Source key material id.
        source_key_material_id: String,
        /// Destination key material id.
        destination_key_material_id: String,
    }
    /// GenerateDataKey and GenerateDataKeyWithoutPlaintext input.
    input GenerateDataKeyRequest {
        /// Key.
        key_id: String,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// 1-1024 bytes.
        number_of_bytes: i64,
        /// AES_256 or AES_128.
        key_spec: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
    }
    /// GenerateDataKey output.
    output GenerateDataKeyResponse {
        /// Encrypted data key.
        ciphertext_blob: Blob,
        /// Plaintext data key.
        plaintext: SecretBlob,
        /// Key ARN.
        key_id: String,
        /// Key material id.
        key_material_id: String,
    }
    /// GenerateRandom input.
    input GenerateRandomRequest {
        /// 1-1024.
        number_of_bytes: i64,
        /// Custom key store.
        custom_key_store_id: String,
    }
    /// GenerateRandom output.
    output GenerateRandomResponse {
        /// Random bytes.
        plaintext: SecretBlob,
    }
    /// TagResource input.
    input TagResourceRequest {
        /// Key.
        key_id: String,
        /// Tags to add or overwrite.
        tags: Vec<Tag>,
    }
    /// UntagResource input.
    input UntagResourceRequest {
        /// Key.
        key_id: String,
        /// Tag keys to remove.
        tag_keys: Vec<String>,
    }
    /// ListResourceTags and ListKeyPolicies input.
    input ListForKeyRequest {
        /// Key.
        key_id: String,
        /// Page size.
        limit: i64,
        /// Paging marker.
        marker: String,
    }
    /// ListResourceTags output.
    output ListResourceTagsResponse {
        /// Tags.
        tags: Vec<Tag>,
        /// Marker for the next page.
        next_marker: String,
        /// Whether more pages follow.
        truncated: bool,
    }
    /// GetKeyPolicy input.
    input GetKeyPolicyRequest {
        /// Key.
        key_id: String,
        /// Only `default`.
        policy_name: String,
    }
    /// GetKeyPolicy output.
    output GetKeyPolicyResponse {
        /// Policy JSON.
        policy: String,
        /// Policy name.
        policy_name: String,
    }
    /// PutKeyPolicy input.
    input PutKeyPolicyRequest {
        /// Key.
        key_id: String,
        /// Only `default`.
        policy_name: String,
        /// Policy JSON.
        policy: String,
        /// Skip the lockout safety check.
        bypass_policy_lockout_safety_check: bool,
    }
    /// ListKeyPolicies output.
    output ListKeyPoliciesResponse {
        /// Always `["default"]`.
        policy_names: Vec<String>,
        /// Marker for the next page.
        next_marker: String,
        /// Whether more pages follow.
        truncated: bool,
    }
    /// EnableKeyRotation input.
    input EnableKeyRotationRequest {
        /// Key.
        key_id: String,
        /// 90-2560 days.
        rotation_period_in_days: i64,
    }
    /// GetKeyRotationStatus output.
    output GetKeyRotationStatusResponse {
        /// Whether automatic rotation is on.
        key_rotation_enabled: bool,
        /// Key ARN.
        key_id: String,
        /// Rotation period.
        rotation_period_in_days: i64,
        /// Next automatic rotation.
        next_rotation_date: Timestamp,
        /// When an on-demand rotation in progress started.
        on_demand_rotation_start_date: Timestamp,
    }
    /// ListKeyRotations input.
    input ListKeyRotationsRequest {
        /// Key.
        key_id: String,
        /// ALL_KEY_MATERIAL or ROTATIONS_ONLY.
        include_key_material: String,
        /// Page size.
        limit: i64,
        /// Paging marker.
        marker: String,
    }
    /// ListKeyRotations output.
    output ListKeyRotationsResponse {
        /// Rotations, oldest first.
        rotations: Vec<RotationsListEntry>,
        /// Marker for the next page.
        next_marker: String,
        /// Whether more pages follow.
        truncated: bool,
    }
    /// One completed rotation.
    output RotationsListEntry {
        /// Key ARN.
        key_id: String,
        /// Key material id of the new version.
        key_material_id: String,
        /// When.
        rotation_date: Timestamp,
        /// AUTOMATIC or ON_DEMAND.
        rotation_type: String,
    }
    /// Sign input.
    input SignRequest {
        /// Key.
        key_id: String,
        /// The message or its digest, up to 4096 bytes.
        message: SecretBlob,
        /// RAW, DIGEST or EXTERNAL_MU.
        message_type: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Algorithm.
        signing_algorithm: String,
        /// Check permissions only.
        dry_run: bool,
    }
    /// Sign output.
    output SignResponse {
        /// Key ARN.
        key_id: String,
        /// The signature.
        signature: Blob,
        /// Algorithm.
        signing_algorithm: String,
    }
    /// Verify input.
    input VerifyRequest {
        /// Key.
        key_id: String,
        /// The message or its digest.
        message: SecretBlob,
        /// RAW, DIGEST or EXTERNAL_MU.
        message_type: String,
        /// The signature to check.
        signature: Blob,
        /// Algorithm.
        signing_algorithm: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
    }
    /// Verify output.
    output VerifyResponse {
        /// Key ARN.
        key_id: String,
        /// Always true: a bad signature is an error.
        signature_valid: bool,
        /// Algorithm.
        signing_algorithm: String,
    }
    /// GetPublicKey output.
    output GetPublicKeyResponse {
        /// Key ARN.
        key_id: String,
        /// DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Deprecated spec name.
        customer_master_key_spec: String,
        /// Spec.
        key_spec: String,
        /// Usage.
        key_usage: String,
        /// Encryption algorithms.
        encryption_algorithms: Vec<String>,
        /// Signing algorithms.
        signing_algorithms: Vec<String>,
        /// Key agreement algorithms.
        key_agreement_algorithms: Vec<String>,
        /// Encapsulation algorithms.
        encapsulation_algorithms: Vec<String>,
    }
    /// GenerateMac input.
    input GenerateMacRequest {
        /// The message, up to 4096 bytes.
        message: SecretBlob,
        /// Key.
        key_id: String,
        /// Algorithm.
        mac_algorithm: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
    }
    /// GenerateMac output.
    output GenerateMacResponse {
        /// The MAC.
        mac: Blob,
        /// Algorithm.
        mac_algorithm: String,
        /// Key ARN.
        key_id: String,
    }
    /// VerifyMac input.
    input VerifyMacRequest {
        /// The message.
        message: SecretBlob,
        /// Key.
        key_id: String,
        /// Algorithm.
        mac_algorithm: String,
        /// The MAC to check.
        mac: Blob,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
    }
    /// VerifyMac output.
    output VerifyMacResponse {
        /// Key ARN.
        key_id: String,
        /// Always true: a bad MAC is an error.
        mac_valid: bool,
        /// Algorithm.
        mac_algorithm: String,
    }
    /// GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext input.
    input GenerateDataKeyPairRequest {
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Key.
        key_id: String,
        /// The pair's spec.
        key_pair_spec: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Nitro Enclaves recipient (not offered).
        recipient: serde_json::Value,
        /// Check permissions only.
        dry_run: bool,
    }
    /// GenerateDataKeyPair output.
    output GenerateDataKeyPairResponse {
        /// The private key encrypted under the KMS key.
        private_key_ciphertext_blob: Blob,
        /// The private key, PKCS#8 DER.
        private_key_plaintext: SecretBlob,
        /// The public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Key ARN.
        key_id: String,
        /// The pair's spec.
        key_pair_spec: String,
        /// Key material id.
        key_material_id: String,
    }
    /// DeriveSharedSecret input.
    input DeriveSharedSecretRequest {
        /// Key.
        key_id: String,
        /// ECDH.
        key_agreement_algorithm: String,
        /// The peer's public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
        /// Nitro Enclaves recipient (not offered).
        recipient: serde_json::Value,
    }
    /// DeriveSharedSecret output.
    output DeriveSharedSecretResponse {
        /// Key ARN.
        key_id: String,
        /// The raw shared secret.
        shared_secret: SecretBlob,
        /// ECDH.
        key_agreement_algorithm: String,
        /// The key's origin.
        key_origin: String,
    }
    /// Encapsulate input.
    input EncapsulateRequest {
        /// Key.
        key_id: String,
        /// ML_KEM.
        encapsulation_algorithm: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
    }
    /// Encapsulate output.
    output EncapsulateResponse {
        /// Key ARN.
        key_id: String,
        /// The shared secret.
        shared_secret: SecretBlob,
        /// Its encapsulation.
        shared_secret_ciphertext_blob: Blob,
        /// ML_KEM.
        encapsulation_algorithm: String,
    }
    /// Decapsulate input.
    input DecapsulateRequest {
        /// Key.
        key_id: String,
        /// The encapsulation.
        shared_secret_ciphertext_blob: Blob,
        /// ML_KEM.
        encapsulation_algorithm: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Check permissions only.
        dry_run: bool,
    }
    /// Decapsulate output.
    output DecapsulateResponse {
        /// Key ARN.
        key_id: String,
        /// The shared secret.
        shared_secret: SecretBlob,
        /// ML_KEM.
        encapsulation_algorithm: String,
    }
    /// GetParametersForImport input.
    input GetParametersForImportRequest {
        /// Key.
        key_id: String,
        /// RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256.
        wrapping_algorithm: String,
        /// RSA_2048, RSA_3072 or RSA_4096.
        wrapping_key_spec: String,
    }
    /// GetParametersForImport output.
    output GetParametersForImportResponse {
        /// Key ARN.
        key_id: String,
        /// The token that ImportKeyMaterial must carry.
        import_token: Blob,
        /// The wrapping public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// When the token and wrapping key expire (24 hours).
        parameters_valid_to: Timestamp,
    }
    /// ImportKeyMaterial input.
    input ImportKeyMaterialRequest {
        /// Key.
        key_id: String,
        /// From GetParametersForImport.
        import_token: Blob,
        /// The wrapped key material.
        encrypted_key_material: Blob,
        /// When the material expires.
        valid_to: Timestamp,
        /// KEY_MATERIAL_EXPIRES (the default) or KEY_MATERIAL_DOES_NOT_EXPIRE.
        expiration_model: String,
        /// NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL.
        import_type: String,
        /// Description of the material.
        key_material_description: String,
        /// The id the material must have (re-import).
        key_material_id: String,
    }
    /// ImportKeyMaterial and DeleteImportedKeyMaterial output.
    output KeyMaterialResponse {
        /// Key ARN.
        key_id: String,
        /// The material's id.
        key_material_id: String,
    }
    /// DeleteImportedKeyMaterial input.
    input DeleteImportedKeyMaterialRequest {
        /// Key.
        key_id: String,
        /// Which material (default: the current one).
        key_material_id: String,
    }
    /// CreateGrant input.
    input CreateGrantRequest {
        /// Key.
        key_id: String,
        /// Who may use the grant.
        grantee_principal: String,
        /// Who may retire it.
        retiring_principal: String,
        /// The operations it allows.
        operations: Vec<String>,
        /// Encryption context constraints.
        constraints: GrantConstraints,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Name (idempotency).
        name: String,
        /// Check permissions only.
        dry_run: bool,
        /// Service principal grantee (not offered).
        grantee_service_principal: String,
        /// Service principal that may retire (not offered).
        retiring_service_principal: String,
    }
    /// Encryption context constraints of a grant.
    output GrantConstraints {
        /// Pairs the request's context must include.
        encryption_context_subset: EncryptionContext,
        /// The request's context, exactly.
        encryption_context_equals: EncryptionContext,
        /// Source ARN constraint (service principals only).
        source_arn: String,
    }
    /// CreateGrant output.
    output CreateGrantResponse {
        /// Token that names the grant.
        grant_token: String,
        /// Grant id.
        grant_id: String,
    }
    /// ListGrants input.
    input ListGrantsRequest {
        /// Page size.
        limit: i64,
        /// Paging marker.
        marker: String,
        /// Key.
        key_id: String,
        /// Only this grant.
        grant_id: String,
        /// Only grants to this principal.
        grantee_principal: String,
        /// Only grants to this service principal.
        grantee_service_principal: String,
    }
    /// ListRetirableGrants input.
    input ListRetirableGrantsRequest {
        /// Page size.
        limit: i64,
        /// Paging marker.
        marker: String,
        /// The retiring principal.
        retiring_principal: String,
        /// The retiring service principal.
        retiring_service_principal: String,
    }
    /// ListGrants and ListRetirableGrants output.
    output ListGrantsResponse {
        /// Grants.
        grants: Vec<GrantListEntry>,
        /// Marker for the next page.
        next_marker: String,
        /// Whether more pages follow.
        truncated: bool,
    }
    /// One grant.
    output GrantListEntry {
        /// Key ARN.
        key_id: String,
        /// Grant id.
        grant_id: String,
        /// Name.
        name: String,
        /// Created.
        creation_date: Timestamp,
        /// Grantee.
        grantee_principal: String,
        /// Retiring principal.
        retiring_principal: String,
        /// The creator's account.
        issuing_account: String,
        /// Operations.
        operations: Vec<String>,
        /// Constraints.
        constraints: GrantConstraints,
    }
    /// RetireGrant input.
    input RetireGrantRequest {
        /// Token naming the grant.
        grant_token: String,
        /// Key (with GrantId).
        key_id: String,
        /// Grant id (with KeyId).
        grant_id: String,
        /// Check permissions only.
        dry_run: bool,
    }
    /// RevokeGrant input.
    input RevokeGrantRequest {
        /// Key.
        key_id: String,
        /// Grant id.
        grant_id: String,
        /// Check permissions only.
        dry_run: bool,
    }
    /// GetKeyLastUsage output.
    output GetKeyLastUsageResponse {
        /// Key ARN.
        key_id: String,
        /// The last successful cryptographic operation (empty if none was recorded).
        key_last_usage: KeyLastUsage,
        /// When the store began recording key use.
        tracking_start_date: Timestamp,
        /// When the key was made.
        key_creation_date: Timestamp,
    }
    /// A key's last successful cryptographic operation.
    output KeyLastUsage {
        /// The operation.
        operation: String,
        /// When.
        timestamp: Timestamp,
    }
    /// A multi-Region key set, as DescribeKey shows it.
    output MultiRegionConfiguration {
        /// PRIMARY or REPLICA.
        multi_region_key_type: String,
        /// The primary key.
        primary_key: MultiRegionKey,
        /// The replicas.
        replica_keys: Vec<MultiRegionKey>,
    }
    /// One member of a multi-Region set.
    output MultiRegionKey {
        /// Its ARN.
        arn: String,
        /// Its region.
        region: String,
    }
    /// ReplicateKey input.
    input ReplicateKeyRequest {
        /// The primary key.
        key_id: String,
        /// Where the replica goes.
        replica_region: String,
        /// The replica's key policy (default: the default key policy).
        policy: String,
        /// Skip the lockout safety check.
        bypass_policy_lockout_safety_check: bool,
        /// The replica's description.
        description: String,
        /// The replica's tags.
        tags: Vec<Tag>,
    }
    /// ReplicateKey output.
    output ReplicateKeyResponse {
        /// The replica's metadata.
        replica_key_metadata: KeyMetadata,
        /// The replica's key policy.
        replica_policy: String,
        /// The replica's tags.
        replica_tags: Vec<Tag>,
    }
    /// UpdatePrimaryRegion input.
    input UpdatePrimaryRegionRequest {
        /// The current primary key.
        key_id: String,
        /// The region of the replica that becomes primary.
        primary_region: String,
    }
    /// Output with no members.
    output Empty {}
    /// A key's metadata, as DescribeKey returns it.
    output KeyMetadata {
        /// Owning account.
        #[serde(rename = "AWSAccountId")]
        aws_account_id: String,
        /// Key id.
        key_id: String,
        /// Key ARN.
        arn: String,
        /// Created.
        creation_date: Timestamp,
        /// True when the state is Enabled.
        enabled: bool,
        /// Description.
        description: String,
        /// Usage.
        key_usage: String,
        /// State.
        key_state: String,
        /// When the key will be deleted.
        deletion_date: Timestamp,
        /// Origin.
        origin: String,
        /// CUSTOMER or AWS.
        key_manager: String,
        /// Deprecated spec name.
        customer_master_key_spec: String,
        /// Spec.
        key_spec: String,
        /// Encryption algorithms.
        encryption_algorithms: Vec<String>,
        /// Signing algorithms (SIGN_VERIFY keys).
        signing_algorithms: Vec<String>,
        /// MAC algorithms (HMAC keys).
        mac_algorithms: Vec<String>,
        /// Key agreement algorithms (KEY_AGREEMENT keys).
        key_agreement_algorithms: Vec<String>,
        /// Encapsulation algorithms (ML-KEM keys).
        encapsulation_algorithms: Vec<String>,
        /// Multi-Region.
        multi_region: bool,
        /// The multi-Region set.
        multi_region_configuration: MultiRegionConfiguration,
        /// Waiting period of a pending deletion.
        pending_deletion_window_in_days: i64,
        /// Imported material: whether it expires.
        expiration_model: String,
        /// Imported material: when it expires.
        valid_to: Timestamp,
        /// Id of the current key material.
        current_key_material_id: String,
    }
}

/// Decodes `body` into every operation's input type, discarding the results: the
/// fuzz target and its corpus replay use this to prove that no body makes decoding panic.
pub fn decode_all_inputs(body: &[u8]) {
    fn attempt<T: serde::de::DeserializeOwned>(body: &[u8]) {
        let _ = serde_json::from_slice::<T>(body);
    }
    attempt::<CreateKeyRequest>(body);
    attempt::<KeyIdRequest>(body);
    attempt::<ListKeysRequest>(body);
    attempt::<ListAliasesRequest>(body);
    attempt::<UpdateKeyDescriptionRequest>(body);
    attempt::<ScheduleKeyDeletionRequest>(body);
    attempt::<AliasRequest>(body);
    attempt::<EncryptRequest>(body);
    attempt::<DecryptRequest>(body);
    attempt::<ReEncryptRequest>(body);
    attempt::<GenerateDataKeyRequest>(body);
    attempt::<GenerateRandomRequest>(body);
    attempt::<TagResourceRequest>(body);
    attempt::<UntagResourceRequest>(body);
    attempt::<ListForKeyRequest>(body);
    attempt::<GetKeyPolicyRequest>(body);
    attempt::<PutKeyPolicyRequest>(body);
    attempt::<EnableKeyRotationRequest>(body);
    attempt::<ListKeyRotationsRequest>(body);
    attempt::<SignRequest>(body);
    attempt::<VerifyRequest>(body);
    attempt::<GenerateMacRequest>(body);
    attempt::<VerifyMacRequest>(body);
    attempt::<GenerateDataKeyPairRequest>(body);
    attempt::<DeriveSharedSecretRequest>(body);
    attempt::<EncapsulateRequest>(body);
    attempt::<DecapsulateRequest>(body);
    attempt::<GetParametersForImportRequest>(body);
    attempt::<ImportKeyMaterialRequest>(body);
    attempt::<DeleteImportedKeyMaterialRequest>(body);
    attempt::<CreateGrantRequest>(body);
    attempt::<ListGrantsRequest>(body);
    attempt::<ListRetirableGrantsRequest>(body);
    attempt::<RetireGrantRequest>(body);
    attempt::<RevokeGrantRequest>(body);
    attempt::<ReplicateKeyRequest>(body);
    attempt::<UpdatePrimaryRegionRequest>(body);
}
