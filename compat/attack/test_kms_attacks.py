"""Issue 10, KMS items, played as an attacker against a live server: cross-account
management through a generous key policy (item 3), a tenant stalling the server with
its own key policy and encryption context (item 7), case-variant encryption context
keys (item 9), AWS managed keys created for callers who may not use them, and the
per-ciphertext data keys of the blob format."""
import json
import time

import botocore.exceptions
import pytest

from arca_harness import user_with_policy


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def refused(call, code="AccessDeniedException"):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call()
    assert error_code(excinfo) == code, excinfo.value.response
    return excinfo.value.response


def policy_granting(*accounts, extra=()):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": f"Account{account}", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}
            for account in accounts
        ] + list(extra),
    })


def root_account(kms):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    return arn.split(":")[4]


# Item 3 -------------------------------------------------------------------------------

def test_kms_star_to_another_account_reaches_only_cross_account_operations(server, kms, second_account):
    owner_id = root_account(kms)
    other_id = second_account["AccountId"]
    policy = policy_granting(owner_id, other_id)
    key = kms.create_key(Policy=policy, Description="owned by A")["KeyMetadata"]
    arn = key["Arn"]
    other = server.client("kms", second_account["AccessKeyId"], second_account["SecretAccessKey"], validate=False)

    # The operations AWS allows across accounts work with the key ARN.
    blob = other.encrypt(KeyId=arn, Plaintext=b"shared")["CiphertextBlob"]
    assert other.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    assert other.describe_key(KeyId=arn)["KeyMetadata"]["Arn"] == arn
    assert other.generate_data_key(KeyId=arn, KeySpec="AES_256")["KeyId"] == arn
    other.get_key_rotation_status(KeyId=arn)

    # Every management operation is refused, whatever the key policy grants.
    takeover = policy_granting(other_id)
    for call in [
        lambda: other.get_key_policy(KeyId=arn, PolicyName="default"),
        lambda: other.put_key_policy(KeyId=arn, PolicyName="default", Policy=takeover,
                                     BypassPolicyLockoutSafetyCheck=True),
        lambda: other.disable_key(KeyId=arn),
        lambda: other.enable_key(KeyId=arn),
        lambda: other.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7),
        lambda: other.cancel_key_deletion(KeyId=arn),
        lambda: other.enable_key_rotation(KeyId=arn),
        lambda: other.disable_key_rotation(KeyId=arn),
        lambda: other.rotate_key_on_demand(KeyId=arn),
        lambda: other.tag_resource(KeyId=arn, Tags=[{"TagKey": "owner", "TagValue": "B"}]),
        lambda: other.untag_resource(KeyId=arn, TagKeys=["owner"]),
        lambda: other.list_resource_tags(KeyId=arn),
        lambda: other.update_key_description(KeyId=arn, Description="owned by B"),
        lambda: other.list_key_policies(KeyId=arn),
        lambda: other.list_key_rotations(KeyId=arn),
    ]:
        refused(call)
    # A key ARN of A that does not exist answers the same: nothing is looked up.
    ghost = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    refused(lambda: other.disable_key(KeyId=ghost))

    # A's key is as it was.
    metadata = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled"
    assert metadata["Description"] == "owned by A"
    assert kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"] == policy
    assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"] is False
    assert kms.list_resource_tags(KeyId=arn)["Tags"] == []
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"


# Item 7 -------------------------------------------------------------------------------

def test_key_policy_over_32_kb_is_refused(kms):
    key = kms.create_key()["KeyMetadata"]
    account = key["Arn"].split(":")[4]
    padding = [{"Sid": f"Pad{i}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:DescribeKey", "Resource": "*"} for i in range(400)]
    big = policy_granting(account, extra=padding)
    assert len(big) > 32 * 1024
    refused(lambda: kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=big),
            "MalformedPolicyDocumentException")
    refused(lambda: kms.create_key(Policy=big), "MalformedPolicyDocumentException")
    fits = policy_granting(account, extra=padding[:100])
    assert len(fits) < 32 * 1024
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=fits)


def test_oversized_encryption_contexts_are_refused(kms_raw):
    key_id = kms_raw.create_key()["KeyMetadata"]["KeyId"]
    refused(lambda: kms_raw.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"k": "v" * 8192}),
            "ValidationException")
    refused(lambda: kms_raw.encrypt(KeyId=key_id, Plaintext=b"x",
                                    EncryptionContext={f"k{i:05}": "" for i in range(60_000)}),
            "ValidationException")
    refused(lambda: kms_raw.generate_data_key(KeyId=key_id, KeySpec="AES_256",
                                              EncryptionContext={"a" * 4100: "b" * 4100}),
            "ValidationException")
    blob = kms_raw.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"k": "v" * 8000})["CiphertextBlob"]
    assert kms_raw.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v" * 8000})["Plaintext"] == b"x"


def test_quadratic_key_policy_patterns_answer_at_once(server, kms):
    """Long `StringLike` patterns on kms:EncryptionContextKeys (the issue had three of
    8 KB) against the largest context key allowed held a core for seconds; now the
    evaluation gives up (denied) within its work budget."""
    account = root_account(kms)
    # No IAM policy: only the key policy's own statement for the user can allow.
    user_arn, key_id, secret = user_with_policy(server, "kms-attack-patterns", None)
    patterns = ["*" + "a" * 4000 + tail + "*" for tail in "bcdefg"]
    policy = policy_granting(account, extra=[{
        "Sid": "Patterns", "Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "kms:Encrypt",
        "Resource": "*", "Condition": {"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": patterns}},
    }])
    assert len(policy) < 32 * 1024
    key = kms.create_key(Policy=policy)["KeyMetadata"]
    attacker = server.client("kms", key_id, secret, validate=False)
    context = {"a" * 8100: ""}
    started = time.monotonic()
    refused(lambda: attacker.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=context))
    elapsed = time.monotonic() - started
    assert elapsed < 0.5, f"took {elapsed:.2f} s"
    # The issue's own shape: a hundred 8 KB context keys (820 KB) against the patterns.
    wide = {"a" * 8100 + str(index): "" for index in range(100)}
    started = time.monotonic()
    refused(lambda: attacker.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=wide),
            code="ValidationException")
    elapsed = time.monotonic() - started
    assert elapsed < 0.5, f"took {elapsed:.2f} s"
    # Meanwhile others are served promptly.
    started = time.monotonic()
    kms.list_keys(Limit=1)
    assert time.monotonic() - started < 1.0
    # A context the patterns match is still allowed.
    attacker.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"aa" + "a" * 4000 + "b": ""})


# Item 9 -------------------------------------------------------------------------------

def test_case_variant_context_keys_do_not_bypass_a_condition(server, kms):
    key = kms.create_key()["KeyMetadata"]
    _, key_id, secret = user_with_policy(server, "kms-attack-tenant-red", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
                       "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "red"}}}],
    })
    user = server.client("kms", key_id, secret)
    user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "red"})
    refused(lambda: user.encrypt(KeyId=key["Arn"], Plaintext=b"x",
                                 EncryptionContext={"Tenant": "blue", "tenant": "red"}))
    refused(lambda: user.encrypt(KeyId=key["Arn"], Plaintext=b"x",
                                 EncryptionContext={"tenant": "red", "TENANT": "blue"}))
    refused(lambda: user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue"}))


def test_case_variant_context_keys_do_not_escape_a_deny(server, kms):
    key = kms.create_key()["KeyMetadata"]
    _, key_id, secret = user_with_policy(server, "kms-attack-not-blue", {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"},
            {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "blue"}}},
        ],
    })
    user = server.client("kms", key_id, secret)
    user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "red"})
    refused(lambda: user.encrypt(KeyId=key["Arn"], Plaintext=b"x",
                                 EncryptionContext={"tenant": "red", "Tenant": "blue"}))


# AWS managed keys ----------------------------------------------------------------------

def test_unauthorised_caller_does_not_create_an_aws_managed_key(server):
    region = "ap-southeast-2"
    admin = server.client("kms", region=region)
    keys_before = admin.list_keys()["Keys"]
    _, key_id, secret = user_with_policy(server, "kms-attack-no-rights", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}],
    })
    intruder = server.client("kms", key_id, secret, region=region)
    for _ in range(3):
        refused(lambda: intruder.encrypt(KeyId="alias/aws/redshift", Plaintext=b"x"))
        refused(lambda: intruder.describe_key(KeyId="alias/aws/redshift"))
    aliases = admin.list_aliases()["Aliases"]
    assert not [a for a in aliases if a["AliasName"] == "alias/aws/redshift" and a.get("TargetKeyId")]
    assert admin.list_keys()["Keys"] == keys_before
    # The account's root may read the managed key's metadata, which brings it into being.
    assert admin.describe_key(KeyId="alias/aws/redshift")["KeyMetadata"]["KeyManager"] == "AWS"


def test_made_up_aliases_cost_nothing_to_remember(kms):
    for i in range(200):
        refused(lambda: kms.encrypt(KeyId=f"alias/made-up-{i}", Plaintext=b"x"), "NotFoundException")


# Ciphertext blobs ------------------------------------------------------------------------

def test_ciphertexts_use_format_2_with_a_salt_per_ciphertext(kms):
    key = kms.create_key()["KeyMetadata"]
    one = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same", EncryptionContext={"k": "v"})["CiphertextBlob"]
    two = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same", EncryptionContext={"k": "v"})["CiphertextBlob"]
    assert one[0] == 0x02 and two[0] == 0x02
    assert len(one) == 1 + 16 + 4 + 32 + 12 + len(b"same") + 16
    assert one != two
    assert one[21:53] != two[21:53], "each ciphertext has its own salt"
    for blob in (one, two):
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"same"
    # Changing the salt, or the context, is one opaque error.
    tampered = bytearray(one)
    tampered[30] ^= 1
    refused(lambda: kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext={"k": "v"}),
            "InvalidCiphertextException")
    refused(lambda: kms.decrypt(CiphertextBlob=one, EncryptionContext={"k": "w"}),
            "InvalidCiphertextException")
    # Data keys too.
    data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert data_key["CiphertextBlob"][0] == 0x02
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
