"""The IAM service (arca-iam) as another account sees it: every user, access key and
inline policy lives in one account's namespace, and nothing a second account's root
names reaches the first account's, whatever the name or key id it sends."""
import json

import botocore.exceptions
import pytest


def refused(call):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call()
    return excinfo.value.response["Error"]["Code"]


def test_another_accounts_root_cannot_touch_this_accounts_users(server, other_account):
    iam = server.client("iam")
    iam.create_user(UserName="victim")
    key = iam.create_access_key(UserName="victim")["AccessKey"]
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}
    iam.put_user_policy(UserName="victim", PolicyName="p", PolicyDocument=json.dumps(policy))

    _, (other_key, other_secret) = other_account
    other = server.client("iam", other_key, other_secret)
    # The same user name in the other account is another (absent) user.
    assert refused(lambda: other.get_user(UserName="victim")) == "NoSuchEntity"
    assert refused(lambda: other.get_user_policy(UserName="victim", PolicyName="p")) == "NoSuchEntity"
    assert refused(lambda: other.create_access_key(UserName="victim")) == "NoSuchEntity"
    assert refused(lambda: other.delete_user_policy(UserName="victim", PolicyName="p")) == "NoSuchEntity"
    assert refused(lambda: other.delete_user(UserName="victim")) == "NoSuchEntity"
    # A's key id, named from B under a user of B with the same name: not found.
    other.create_user(UserName="victim")
    assert refused(lambda: other.delete_access_key(UserName="victim", AccessKeyId=key["AccessKeyId"])) == "NoSuchEntity"
    # B's listing holds B's users only.
    other_id, _ = other_account
    assert all(user["Arn"].split(":")[4] == other_id for user in other.list_users()["Users"])
    assert other.list_access_keys(UserName="victim")["AccessKeyMetadata"] == []

    # A's user, key and policy are as they were, and the key still signs.
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="victim")["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    assert iam.get_user_policy(UserName="victim", PolicyName="p")["PolicyDocument"] == policy
    victim_kms = server.client("kms", key["AccessKeyId"], key["SecretAccessKey"])
    assert "Keys" in victim_kms.list_keys()
