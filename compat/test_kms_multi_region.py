"""Regions and multi-Region keys through boto3 and the Python Encryption SDK against a
live arca server: a key belongs to its region; replicas share material, so what one
region seals another opens, while policy, aliases and enablement stay per replica."""
import os
import time

import aws_encryption_sdk
import botocore.exceptions
import pytest
from aws_encryption_sdk import CommitmentPolicy


def error(excinfo):
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message", "")


@pytest.fixture(scope="module")
def east(server):
    return server.client("kms", region="us-east-1")


@pytest.fixture(scope="module")
def west(server):
    return server.client("kms", region="eu-west-1")


def wait_enabled(client, key_id):
    for _ in range(100):
        if client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled":
            return
        time.sleep(0.1)
    raise AssertionError("the replica never became Enabled")


def replicated(east, west):
    key = east.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    replica = east.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1", Description="replica")
    wait_enabled(west, key["KeyId"])
    return key, replica


def test_a_multi_region_key_and_its_replica(east, west):
    key = east.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    assert key["KeyId"].startswith("mrk-") and len(key["KeyId"]) == 36 and key["MultiRegion"] is True
    config = key["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "PRIMARY" and config["ReplicaKeys"] == []
    assert config["PrimaryKey"] == {"Arn": key["Arn"], "Region": "us-east-1"}
    west_arn = key["Arn"].replace("us-east-1", "eu-west-1")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        west.describe_key(KeyId=key["KeyId"])
    assert error(excinfo) == ("NotFoundException", f"Key '{west_arn}' does not exist")

    made = east.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1", Tags=[{"TagKey": "site", "TagValue": "dublin"}])
    replica = made["ReplicaKeyMetadata"]
    assert (replica["Arn"], replica["KeyState"], replica["Enabled"]) == (west_arn, "Creating", False)
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert made["ReplicaTags"] == [{"TagKey": "site", "TagValue": "dublin"}] and "Statement" in made["ReplicaPolicy"]
    wait_enabled(west, key["KeyId"])
    primary = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert primary["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": west_arn, "Region": "eu-west-1"}]
    assert primary["CurrentKeyMaterialId"] == west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]

    # Shared material: each region opens what the other sealed, under the context.
    context = {"purpose": "multi-region"}
    sealed_east = east.encrypt(KeyId=key["KeyId"], Plaintext=b"from the east", EncryptionContext=context)["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=sealed_east, EncryptionContext=context)["Plaintext"] == b"from the east"
    sealed_west = west.encrypt(KeyId=key["KeyId"], Plaintext=b"from the west")["CiphertextBlob"]
    opened = east.decrypt(CiphertextBlob=sealed_west)
    assert opened["Plaintext"] == b"from the west" and opened["KeyId"] == key["Arn"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        west.decrypt(CiphertextBlob=sealed_east, EncryptionContext={"purpose": "other"})
    assert error(excinfo)[0] == "InvalidCiphertextException"

    # Replicating a replica, or into a region that has one, is refused.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        west.replicate_key(KeyId=key["KeyId"], ReplicaRegion="ap-southeast-1")
    assert error(excinfo) == ("UnsupportedOperationException", f"{west_arn} is not a multi-region primary key.")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        east.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    assert error(excinfo)[0] == "AlreadyExistsException"


def test_enablement_aliases_and_policies_are_per_replica(east, west):
    key, _ = replicated(east, west)
    west.disable_key(KeyId=key["KeyId"])
    east.encrypt(KeyId=key["KeyId"], Plaintext=b"still fine")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        west.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error(excinfo)[0] == "DisabledException"
    west.enable_key(KeyId=key["KeyId"])
    west.create_alias(AliasName="alias/only-in-the-west", TargetKeyId=key["KeyId"])
    west.encrypt(KeyId="alias/only-in-the-west", Plaintext=b"x")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        east.encrypt(KeyId="alias/only-in-the-west", Plaintext=b"x")
    assert error(excinfo)[0] == "NotFoundException"
    west.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k", "TagValue": "west"}])
    assert east.list_resource_tags(KeyId=key["KeyId"])["Tags"] == []


def test_rotation_reaches_the_replicas_and_the_primary_can_move(east, west):
    key, _ = replicated(east, west)
    before = east.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    east.rotate_key_on_demand(KeyId=key["KeyId"])
    after = east.encrypt(KeyId=key["KeyId"], Plaintext=b"after")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=after)["Plaintext"] == b"after"
    assert west.decrypt(CiphertextBlob=before)["Plaintext"] == b"before"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        west.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error(excinfo)[0] == "UnsupportedOperationException"
    east.update_primary_region(KeyId=key["KeyId"], PrimaryRegion="eu-west-1")
    west_config = west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert west_config["MultiRegionKeyType"] == "PRIMARY"
    assert [r["Region"] for r in west_config["ReplicaKeys"]] == ["us-east-1"]
    assert east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    # A primary with replicas is not deleted from under them.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        west.schedule_key_deletion(KeyId=key["KeyId"])
    assert error(excinfo)[0] == "UnsupportedOperationException"
    assert east.schedule_key_deletion(KeyId=key["KeyId"])["KeyState"] == "PendingDeletion"


def test_the_encryption_sdk_decrypts_through_either_region(server, east, west, monkeypatch):
    """The seed deck's scenario: one message under keys in us-east-1 and eu-west-1,
    decrypted through either region alone."""
    key_id, secret = server.root_credentials()
    for name, value in {"AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": key_id,
                        "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    east_arn = east.create_key(Description="esdk east")["KeyMetadata"]["Arn"]
    west_arn = west.create_key(Description="esdk west")["KeyMetadata"]["Arn"]
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    both = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[east_arn, west_arn])
    plaintext = os.urandom(4096)
    ciphertext, header = client.encrypt(source=plaintext, key_provider=both, encryption_context={"app": "deck"})
    assert len(header.encrypted_data_keys) == 2
    for only in (east_arn, west_arn):
        provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[only])
        decrypted, _ = client.decrypt(source=ciphertext, key_provider=provider)
        assert decrypted == plaintext
    # With the eu-west-1 key disabled, us-east-1 alone still decrypts.
    west.disable_key(KeyId=west_arn)
    decrypted, _ = client.decrypt(source=ciphertext, key_provider=aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[east_arn]))
    assert decrypted == plaintext
    with pytest.raises(Exception):
        client.decrypt(source=ciphertext, key_provider=aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[west_arn]))


def test_a_deleted_replica_leaves_the_set(tmp_path):
    from arca_harness import ArcaServer

    server = ArcaServer(tmp_path / "data", ["--danger-clock-offset", "0"]).start()
    try:
        east, west = server.client("kms", region="us-east-1"), server.client("kms", region="eu-west-1")
        key, _ = replicated(east, west)
        west.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        assert [r["Region"] for r in east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"]] == ["eu-west-1"]
        server.advance_clock(8 * 86_400)
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            west.describe_key(KeyId=key["KeyId"])
        assert error(excinfo)[0] == "NotFoundException"
        assert east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"] == []
        # Now the primary has no replicas, it may be deleted.
        assert east.schedule_key_deletion(KeyId=key["KeyId"])["KeyState"] == "PendingDeletion"
    finally:
        server.stop()
