"""KMS operations on symmetric keys, through boto3, against a live arca server."""
import base64
import json

import botocore.exceptions
import pytest


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture()
def key(kms):
    return kms.create_key(Description="compat key")["KeyMetadata"]


def test_create_and_describe_key(kms, key, server):
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert key["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert key["KeyState"] == "Enabled" and key["Enabled"] is True
    assert key["Origin"] == "AWS_KMS" and key["KeyManager"] == "CUSTOMER"
    assert key["Arn"] == f"arn:aws:kms:us-east-1:{key['AWSAccountId']}:key/{key['KeyId']}"
    assert key["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    for ref in [key["KeyId"], key["Arn"]]:
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == key["KeyId"]
    kms.create_alias(AliasName="alias/describe-me", TargetKeyId=key["KeyId"])
    assert kms.describe_key(KeyId="alias/describe-me")["KeyMetadata"]["KeyId"] == key["KeyId"]
    alias_arn = f"arn:aws:kms:us-east-1:{key['AWSAccountId']}:alias/describe-me"
    assert kms.describe_key(KeyId=alias_arn)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_describe_missing_key(kms):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.describe_key(KeyId="00000000-0000-0000-0000-000000000000")
    assert error_code(excinfo) == "NotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.describe_key(KeyId="alias/does-not-exist")
    assert error_code(excinfo) == "NotFoundException"


def test_encrypt_decrypt_with_context(kms, key):
    context = {"purpose": "test", "tenant": "a"}
    encrypted = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"hello arca", EncryptionContext=context)
    assert encrypted["KeyId"] == key["Arn"]
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext=context)
    assert decrypted["Plaintext"] == b"hello arca"
    assert decrypted["KeyId"] == key["Arn"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"purpose": "other", "tenant": "a"})
    assert error_code(excinfo) == "InvalidCiphertextException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
    assert error_code(excinfo) == "InvalidCiphertextException"


def test_tampered_and_garbage_ciphertexts(kms, key):
    blob = bytearray(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 100)["CiphertextBlob"])
    blob[-1] ^= 1
    for bad in [bytes(blob), b"\x01" * 10, b"garbage" * 20]:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=bad)
        assert error_code(excinfo) == "InvalidCiphertextException"


def test_decrypt_with_wrong_key_id(kms, key):
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"data")["CiphertextBlob"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob, KeyId=other["KeyId"])
    assert error_code(excinfo) == "IncorrectKeyException"
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"data"


def test_re_encrypt(kms, key):
    destination = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"move me", EncryptionContext={"a": "1"})["CiphertextBlob"]
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"},
                           DestinationKeyId=destination["KeyId"], DestinationEncryptionContext={"b": "2"})
    assert moved["SourceKeyId"] == key["Arn"] and moved["KeyId"] == destination["Arn"]
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"b": "2"})["Plaintext"] == b"move me"


def test_generate_data_keys(kms, key):
    data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"k": "v"})
    assert len(data_key["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"] == data_key["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=64)["Plaintext"]) == 64
    assert len(kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16
    without = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in without
    assert len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 32


def test_generate_data_key_spec_errors(kms_raw, key):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.generate_data_key(KeyId=key["KeyId"])
    assert error_code(excinfo) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", NumberOfBytes=32)
    assert error_code(excinfo) == "ValidationException"


def test_generate_random(kms, kms_raw):
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.generate_random(NumberOfBytes=1025)
    assert error_code(excinfo) == "ValidationException"
    assert "Member must have value less than or equal to 1024" in excinfo.value.response["Error"]["Message"]


def test_validation_messages_follow_aws(kms_raw, key):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4097)
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == ("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
                                "Member must have length less than or equal to 4096")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.describe_key(KeyId="")
    assert error_code(excinfo) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.create_key(KeyUsage="NOT_A_USAGE")
    assert "Member must satisfy enum value set" in excinfo.value.response["Error"]["Message"]


def test_key_states(kms, key):
    kms.disable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_code(excinfo) == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    kms.update_key_description(KeyId=key["KeyId"], Description="new words")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "new words"


def test_schedule_and_cancel_deletion(kms, kms_raw, key):
    for days in [6, 31]:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            kms_raw.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
        assert error_code(excinfo) == "ValidationException"
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7
    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion" and "DeletionDate" in metadata
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_code(excinfo) == "KMSInvalidStateException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert error_code(excinfo) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert error_code(excinfo) == "KMSInvalidStateException"


def test_aliases(kms, key):
    other = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/compat-app", TargetKeyId=key["KeyId"])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.create_alias(AliasName="alias/compat-app", TargetKeyId=key["KeyId"])
    assert error_code(excinfo) == "AlreadyExistsException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key["KeyId"])
    assert error_code(excinfo) == "InvalidAliasNameException"
    blob = kms.encrypt(KeyId="alias/compat-app", Plaintext=b"via alias")["CiphertextBlob"]
    kms.update_alias(AliasName="alias/compat-app", TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId="alias/compat-app")["KeyMetadata"]["KeyId"] == other["KeyId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"via alias"
    listed = kms.list_aliases(KeyId=other["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in listed] == ["alias/compat-app"]
    assert listed[0]["AliasArn"].endswith(":alias/compat-app")
    kms.delete_alias(AliasName="alias/compat-app")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.delete_alias(AliasName="alias/compat-app")
    assert error_code(excinfo) == "NotFoundException"


def test_aws_managed_key_created_on_first_use(kms):
    metadata = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS"
    again = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert again["KeyId"] == metadata["KeyId"]
    names = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert "alias/aws/secretsmanager" in names
    # Direct use is refused: the key policy allows it only through the service.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.encrypt(KeyId="alias/aws/secretsmanager", Plaintext=b"x")
    assert error_code(excinfo) == "AccessDeniedException"


def test_list_keys_paging(kms):
    created = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)}
    seen, marker = [], None
    while True:
        page = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 2
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert created <= set(seen)
    assert len(seen) == len(set(seen))
    paginator_ids = [k["KeyId"] for p in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 3}) for k in p["Keys"]]
    assert sorted(paginator_ids) == sorted(seen)


def test_invalid_marker(kms_raw):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.list_keys(Marker="not-a-marker")
    assert error_code(excinfo) == "InvalidMarkerException"


def test_tags(kms, key):
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "team", "TagValue": "a"}, {"TagKey": "env", "TagValue": "dev"}])
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "team", "TagValue": "b"}])
    tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {"team": "b", "env": "dev"}
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["env"])
    assert [t["TagKey"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]] == ["team"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])
    assert error_code(excinfo) == "TagException"
    tagged = kms.create_key(Tags=[{"TagKey": "created", "TagValue": "with-key"}])["KeyMetadata"]
    assert kms.list_resource_tags(KeyId=tagged["KeyId"])["Tags"] == [{"TagKey": "created", "TagValue": "with-key"}]


def test_key_policies(kms, key):
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{key['AWSAccountId']}:root"
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy="{not json")
    assert error_code(excinfo) == "MalformedPolicyDocumentException"
    lockout = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                                        "Action": "kms:*", "Resource": "*"}]}
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(lockout))
    assert error_code(excinfo) == "MalformedPolicyDocumentException"
    policy["Statement"].append({"Sid": "DenyDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(excinfo) == "AccessDeniedException"


def test_rotation_on_demand_keeps_old_versions(kms, key):
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    after = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"old"
    assert kms.decrypt(CiphertextBlob=after)["Plaintext"] == b"new"
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert len(rotations) == 1 and rotations[0]["RotationType"] == "ON_DEMAND"
    current = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert rotations[0]["KeyMaterialId"] == current


def test_rotation_settings(kms, kms_raw, key):
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    assert "NextRotationDate" in status
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=30)
    assert error_code(excinfo) == "ValidationException"
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_dry_run(kms, key):
    for call in [lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True),
                 lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", DryRun=True)]:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "DryRunOperationException"


def _error(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call(**kwargs)
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_error_texts_are_aws_words(kms, kms_raw, key):
    """The codes and messages AWS KMS answered in recorded calls (LocalStack's AWS-validated
    KMS snapshots), word for word."""
    for bad_id in ["fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id"]:
        assert _error(kms.describe_key, KeyId=bad_id) == ("NotFoundException", f"Invalid keyId '{bad_id}'")
    for missing in ["00000000-0000-0000-0000-000000000000", "mrk-d3b95762d3b95762d3b95762d3b95762"]:
        code, message = _error(kms.describe_key, KeyId=missing)
        assert (code, message) == ("NotFoundException", f"Key 'arn:aws:kms:us-east-1:{key['AWSAccountId']}:key/{missing}' does not exist")
    assert _error(kms_raw.generate_random) == ("ValidationException", "NumberOfBytes is required.")
    assert _error(kms.create_key, KeySpec="HMAC_256") == (
        "ValidationException", "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
    # InvalidCiphertextException says nothing, not even an empty message member.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=b"\x01" * 64)
    assert excinfo.value.response["Error"] == {"Code": "InvalidCiphertextException", "Message": ""}
    assert "message" not in excinfo.value.response
    assert _error(kms.create_alias, AliasName="no-prefix", TargetKeyId=key["KeyId"]) == (
        "ValidationException",
        'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html')
    for reserved in ["aws:x", "AWS:x"]:
        assert _error(kms.create_key, Tags=[{"TagKey": reserved, "TagValue": "v"}]) == (
            "TagException", "Tags beginning with aws: are reserved")
    too_many = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]
    assert _error(kms.create_key, Tags=too_many) == ("TagException", "Too many tags")
    duplicate = [{"TagKey": "team", "TagValue": "a"}, {"TagKey": "team", "TagValue": "b"}]
    assert _error(kms.tag_resource, KeyId=key["KeyId"], Tags=duplicate) == ("TagException", "Duplicate tag keys")
    long_key = "a" * 129
    assert _error(kms_raw.create_key, Tags=[{"TagKey": "ok", "TagValue": "v"}, {"TagKey": long_key, "TagValue": "v"}]) == (
        "ValidationException",
        f"1 validation error detected: Value '{long_key}' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length less than or equal to 128")


def test_the_on_demand_rotation_limit_is_worded_as_in_aws(kms):
    key = kms.create_key()["KeyMetadata"]
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert _error(kms.rotate_key_on_demand, KeyId=key["KeyId"]) == (
        "LimitExceededException",
        "The on-demand rotations limit has been reached for the given keyId. "
        f"No more on-demand rotations can be performed for this key: {key['Arn']}")


def test_a_key_belongs_to_its_region(server, kms):
    """As AWS answered in a recorded call: from another region a key id is a key that
    does not exist there, and a key ARN names a region that is not this one."""
    west = server.client("kms", region="eu-west-1")
    key = west.create_key()["KeyMetadata"]
    assert key["Arn"].startswith("arn:aws:kms:eu-west-1:")
    account = key["AWSAccountId"]
    assert _error(kms.describe_key, KeyId=key["KeyId"]) == (
        "NotFoundException", f"Key 'arn:aws:kms:us-east-1:{account}:key/{key['KeyId']}' does not exist")
    assert _error(kms.describe_key, KeyId=key["Arn"]) == ("NotFoundException", "Invalid arn eu-west-1")
    for ref in [key["KeyId"], key["Arn"]]:
        assert west.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == key["KeyId"]
