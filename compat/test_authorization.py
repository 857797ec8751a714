"""Who may do what: IAM policies, key policies, conditions and cross-account use."""
import json

import botocore.exceptions
import pytest

from arca_harness import user_with_policy


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_iam_policy_with_encryption_context_condition(server, kms):
    key = kms.create_key()["KeyMetadata"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key["Arn"],
        "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "blue"}}}]}
    _, key_id, secret = user_with_policy(server, "tenant-blue", policy)
    user_kms = server.client("kms", key_id, secret)
    blob = user_kms.encrypt(KeyId=key["Arn"], Plaintext=b"blue data", EncryptionContext={"tenant": "blue"})["CiphertextBlob"]
    assert user_kms.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "blue"})["Plaintext"] == b"blue data"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        user_kms.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "red"})
    assert error_code(excinfo) == "AccessDeniedException"
    assert "is not authorized to perform: kms:Encrypt" in excinfo.value.response["Error"]["Message"]
    other_key = kms.create_key()["KeyMetadata"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        user_kms.encrypt(KeyId=other_key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue"})
    assert error_code(excinfo) == "AccessDeniedException"


def test_explicit_deny_wins(server, kms):
    key = kms.create_key()["KeyMetadata"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]}
    _, key_id, secret = user_with_policy(server, "deny-decrypt", policy)
    user_kms = server.client("kms", key_id, secret)
    blob = user_kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        user_kms.decrypt(CiphertextBlob=blob)
    assert error_code(excinfo) == "AccessDeniedException"


def test_key_policy_without_account_delegation_ignores_iam(server, kms):
    account = kms.describe_key(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])["KeyMetadata"]["AWSAccountId"]
    arn, key_id, secret = user_with_policy(server, "iam-admin-only",
                                           {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account}:root"}}}]}
    key = kms.create_key(Policy=json.dumps(key_policy))["KeyMetadata"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client("kms", key_id, secret).encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert error_code(excinfo) == "AccessDeniedException"


def test_cross_account_needs_key_policy_and_iam(server, kms, second_account):
    owner = kms.create_key()["KeyMetadata"]
    other_id = second_account["AccountId"]
    other_kms = server.client("kms", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        other_kms.encrypt(KeyId=owner["Arn"], Plaintext=b"x")
    assert error_code(excinfo) == "AccessDeniedException"
    policy = json.loads(kms.get_key_policy(KeyId=owner["KeyId"], PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other_id}:root"},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"})
    kms.put_key_policy(KeyId=owner["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    # The other account's root needs no IAM policy of its own.
    blob = other_kms.encrypt(KeyId=owner["Arn"], Plaintext=b"shared")["CiphertextBlob"]
    assert other_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    # A user of the other account needs an IAM allow too.
    _, key_id, secret = user_with_policy(server, "partner-user", None, account=second_account)
    partner_kms = server.client("kms", key_id, secret)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        partner_kms.encrypt(KeyId=owner["Arn"], Plaintext=b"x")
    assert error_code(excinfo) == "AccessDeniedException"
    other_iam = server.client("iam", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    other_iam.put_user_policy(UserName="partner-user", PolicyName="use-partner-key", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": owner["Arn"]}]}))
    partner_kms.encrypt(KeyId=owner["Arn"], Plaintext=b"x")
    # Cross-account callers cannot use the owner's key by bare id (it resolves in their own account).
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        other_kms.encrypt(KeyId=owner["KeyId"], Plaintext=b"x")
    assert error_code(excinfo) == "NotFoundException"


def test_only_bootstrap_admin_creates_accounts(server, second_account):
    result = server.arca("admin", "create-account", "--name", "nope", check=False,
                         AWS_ACCESS_KEY_ID=second_account["AccessKeyId"],
                         AWS_SECRET_ACCESS_KEY=second_account["SecretAccessKey"],
                         AWS_ENDPOINT_URL=server.endpoint)
    assert result.returncode != 0
    assert "AccessDenied" in result.stderr
    assert set(second_account) == {"AccountId", "UserName", "Arn", "AccessKeyId", "SecretAccessKey"}
    assert second_account["Arn"] == f"arn:aws:iam::{second_account['AccountId']}:root"
