"""KMS grants through boto3 against a live arca server: a grant lets its grantee in at
once, within its operations and constraints, never past an explicit deny, and only as
far as the grant that made it."""
import json
import uuid

import botocore.exceptions
import pytest

from arca_harness import user_with_policy


def error(excinfo):
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message", "")


def user(server, policy=None):
    """A user of the first account whose IAM policy allows nothing on keys."""
    arn, key_id, secret = user_with_policy(server, f"grantee-{uuid.uuid4().hex[:8]}", policy)
    return arn, server.client("kms", key_id, secret)


def denied(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call(**kwargs)
    assert error(excinfo)[0] == "AccessDeniedException", error(excinfo)


def test_a_grant_lets_its_grantee_in_at_once_and_retiring_ends_it(server, kms):
    key = kms.create_key()["KeyMetadata"]
    grantee_arn, grantee = user(server)
    denied(grantee.encrypt, KeyId=key["Arn"], Plaintext=b"before")
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt", "Decrypt"],
                             RetiringPrincipal=grantee_arn)
    blob = grantee.encrypt(KeyId=key["Arn"], Plaintext=b"granted", GrantTokens=[grant["GrantToken"]])["CiphertextBlob"]
    assert grantee.decrypt(CiphertextBlob=blob)["Plaintext"] == b"granted"
    denied(grantee.generate_data_key, KeyId=key["Arn"], KeySpec="AES_256")
    listed = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert [g["GrantId"] for g in listed] == [grant["GrantId"]]
    assert listed[0]["GranteePrincipal"] == grantee_arn and sorted(listed[0]["Operations"]) == ["Decrypt", "Encrypt"]
    assert listed[0]["IssuingAccount"] == f"arn:aws:iam::{key['AWSAccountId']}:root" and listed[0]["KeyId"] == key["Arn"]
    grantee.retire_grant(GrantToken=grant["GrantToken"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    denied(grantee.decrypt, CiphertextBlob=blob)


def test_constraints_bind_the_encryption_context(server, kms):
    key = kms.create_key()["KeyMetadata"]
    grantee_arn, grantee = user(server)
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt"],
                     Constraints={"EncryptionContextSubset": {"tenant": "red"}})
    grantee.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "red", "extra": "ok"})
    denied(grantee.encrypt, KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue"})
    denied(grantee.encrypt, KeyId=key["Arn"], Plaintext=b"x")
    other_arn, other = user(server)
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=other_arn, Operations=["Encrypt"],
                     Constraints={"EncryptionContextEquals": {"tenant": "red"}})
    other.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "red"})
    denied(other.encrypt, KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "red", "extra": "no"})
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=other_arn, Operations=["Sign"],
                         Constraints={"EncryptionContextSubset": {"tenant": "red"}})
    assert error(excinfo)[0] == "ValidationException"


def test_an_explicit_deny_beats_a_grant(server, kms):
    """The attacker holds a grant; the key policy denies them by name."""
    key = kms.create_key()["KeyMetadata"]
    grantee_arn, grantee = user(server)
    account = key["AWSAccountId"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": grantee_arn}, "Action": "kms:Encrypt", "Resource": "*"},
        ],
    }))
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt", "DescribeKey"])
    denied(grantee.encrypt, KeyId=key["Arn"], Plaintext=b"x")
    assert grantee.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_a_grant_for_create_grant_cannot_widen_itself(server, kms):
    """The attacker may create grants through their grant, and tries to grant more."""
    key = kms.create_key()["KeyMetadata"]
    attacker_arn, attacker = user(server)
    accomplice_arn, accomplice = user(server)
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=attacker_arn, Operations=["CreateGrant", "Encrypt"])
    attacker.create_grant(KeyId=key["Arn"], GranteePrincipal=accomplice_arn, Operations=["Encrypt"])
    accomplice.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    denied(attacker.create_grant, KeyId=key["Arn"], GranteePrincipal=accomplice_arn, Operations=["Encrypt", "Decrypt"])
    denied(attacker.create_grant, KeyId=key["Arn"], GranteePrincipal=attacker_arn, Operations=["Decrypt"])
    # Nor may the grantee revoke or list grants: those need the key policy.
    grant_id = kms.list_grants(KeyId=key["KeyId"])["Grants"][0]["GrantId"]
    denied(attacker.revoke_grant, KeyId=key["Arn"], GrantId=grant_id)
    denied(attacker.list_grants, KeyId=key["Arn"])


def test_grants_across_accounts(server, kms, second_account):
    key = kms.create_key()["KeyMetadata"]
    other_root = f"arn:aws:iam::{second_account['AccountId']}:root"
    other = server.client("kms", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    denied(other.encrypt, KeyId=key["Arn"], Plaintext=b"x")
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=other_root, Operations=["Encrypt"])
    assert other.encrypt(KeyId=key["Arn"], Plaintext=b"x")["KeyId"] == key["Arn"]
    # By its id alone the key is looked up in the caller's own account.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        other.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error(excinfo)[0] == "NotFoundException"
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    denied(other.encrypt, KeyId=key["Arn"], Plaintext=b"x")


def test_names_are_idempotent_and_tokens_are_checked(server, kms):
    key = kms.create_key()["KeyMetadata"]
    grantee_arn, _ = user(server)
    one = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt"], Name="app-grant")
    two = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt"], Name="app-grant")
    assert one["GrantId"] == two["GrantId"]
    three = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee_arn, Operations=["Decrypt"], Name="app-grant")
    assert three["GrantId"] != one["GrantId"]
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 2
    assert len(kms.list_grants(KeyId=key["KeyId"], GrantId=one["GrantId"])["Grants"]) == 1
    page = kms.list_grants(KeyId=key["KeyId"], Limit=1)
    assert page["Truncated"] and len(page["Grants"]) == 1
    rest = kms.list_grants(KeyId=key["KeyId"], Limit=1, Marker=page["NextMarker"])
    assert {page["Grants"][0]["GrantId"], rest["Grants"][0]["GrantId"]} == {one["GrantId"], three["GrantId"]}
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.retire_grant(GrantToken="not-a-grant-token")
    assert error(excinfo)[0] == "InvalidGrantTokenException"
    # Every operation that takes grant tokens refuses ones this server did not issue.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=["not-a-grant-token"])
    assert error(excinfo)[0] == "InvalidGrantTokenException"
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=[one["GrantToken"]])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.list_grants(KeyId="invalid")
    assert error(excinfo)[0] == "NotFoundException"
    kms.retire_grant(KeyId=key["KeyId"], GrantId=one["GrantId"])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=one["GrantId"])
    assert error(excinfo)[0] == "NotFoundException"


def test_list_retirable_grants(server, kms):
    retiring_arn, retiring = user(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:ListRetirableGrants", "Resource": "*"}]})
    grantee_arn, _ = user(server)
    keys = [kms.create_key()["KeyMetadata"] for _ in range(2)]
    made = {kms.create_grant(KeyId=k["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt"],
                             RetiringPrincipal=retiring_arn)["GrantId"] for k in keys}
    kms.create_grant(KeyId=keys[0]["KeyId"], GranteePrincipal=grantee_arn, Operations=["Decrypt"])
    listed = retiring.list_retirable_grants(RetiringPrincipal=retiring_arn)["Grants"]
    assert {g["GrantId"] for g in listed} == made
    for grant in listed:
        retiring.retire_grant(KeyId=grant["KeyId"], GrantId=grant["GrantId"])
    assert retiring.list_retirable_grants(RetiringPrincipal=retiring_arn)["Grants"] == []
