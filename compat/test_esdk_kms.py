"""The Python AWS Encryption SDK through Arca's KMS, pointed at Arca only by
AWS_ENDPOINT_URL, as in the slide deck's example."""
import os

import aws_encryption_sdk
import pytest
from aws_encryption_sdk import CommitmentPolicy


@pytest.fixture()
def esdk_env(server, monkeypatch):
    key_id, secret = server.root_credentials()
    for name, value in {"AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": key_id,
                        "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_strict_kms_master_key_provider_round_trip(esdk_env, kms):
    key_arn = kms.create_key(Description="esdk")["KeyMetadata"]["Arn"]
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn])
    context = {"purpose": "compat", "stage": "test"}
    plaintext = os.urandom(100_000)
    ciphertext, header = client.encrypt(source=plaintext, key_provider=provider, encryption_context=context)
    assert header.encryption_context["purpose"] == "compat"
    decrypted, decrypt_header = client.decrypt(source=ciphertext, key_provider=provider)
    assert decrypted == plaintext
    assert decrypt_header.encryption_context["stage"] == "test"
    # The data key was wrapped by Arca: tampering with the stored blob must fail.
    corrupted = bytearray(ciphertext)
    corrupted[200] ^= 1
    with pytest.raises(Exception):
        client.decrypt(source=bytes(corrupted), key_provider=provider)
