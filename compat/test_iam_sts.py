"""IAM users, access keys and inline policies, and STS GetCallerIdentity, through
boto3 and the AWS CLI."""
import json

import botocore.exceptions
import pytest

from arca_harness import user_with_policy


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_get_caller_identity_with_cli(server):
    identity = json.loads(server.aws("sts", "get-caller-identity").stdout)
    assert identity["Arn"].endswith(":root")
    assert len(identity["Account"]) == 12


def test_aws_cli_lists_keys_with_the_written_files(server):
    keys = json.loads(server.aws("kms", "list-keys").stdout)
    assert "Keys" in keys


def test_user_lifecycle(server):
    iam = server.client("iam")
    user = iam.create_user(UserName="alice")["User"]
    assert user["Arn"].endswith(":user/alice") and user["UserId"].startswith("AIDA")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        iam.create_user(UserName="alice")
    assert error_code(excinfo) == "EntityAlreadyExists"
    assert iam.get_user(UserName="alice")["User"]["UserName"] == "alice"
    assert "alice" in [u["UserName"] for u in iam.list_users()["Users"]]
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    iam.create_access_key(UserName="alice")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        iam.create_access_key(UserName="alice")
    assert error_code(excinfo) == "LimitExceeded"
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert len(listed) == 2 and all("SecretAccessKey" not in k for k in listed)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}
    iam.put_user_policy(UserName="alice", PolicyName="list", PolicyDocument=json.dumps(policy))
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["list"]
    assert iam.get_user_policy(UserName="alice", PolicyName="list")["PolicyDocument"] == policy
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        iam.delete_user(UserName="alice")
    assert error_code(excinfo) == "DeleteConflict"
    iam.delete_user_policy(UserName="alice", PolicyName="list")
    for k in listed:
        iam.delete_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"])
    iam.delete_user(UserName="alice")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        iam.get_user(UserName="alice")
    assert error_code(excinfo) == "NoSuchEntity"


def test_malformed_policy_is_refused(server):
    iam = server.client("iam")
    iam.create_user(UserName="bad-policy")
    for document in ["{not json", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
                     json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})]:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            iam.put_user_policy(UserName="bad-policy", PolicyName="p", PolicyDocument=document)
        assert error_code(excinfo) == "MalformedPolicyDocument"


def test_user_sees_itself_in_sts(server):
    arn, key_id, secret = user_with_policy(server, "sts-user", None)
    identity = server.client("sts", key_id, secret).get_caller_identity()
    assert identity["Arn"] == arn


def test_iam_denies_without_policy(server):
    _, key_id, secret = user_with_policy(server, "no-rights", None)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client("iam", key_id, secret).create_user(UserName="never")
    assert error_code(excinfo) == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client("kms", key_id, secret).list_keys()
    assert error_code(excinfo) == "AccessDeniedException"


def test_iam_with_the_cli(server):
    server.aws("iam", "create-user", "--user-name", "cli-user")
    users = json.loads(server.aws("iam", "list-users").stdout)["Users"]
    assert "cli-user" in [u["UserName"] for u in users]
    key = json.loads(server.aws("iam", "create-access-key", "--user-name", "cli-user").stdout)["AccessKey"]
    server.aws("iam", "delete-access-key", "--user-name", "cli-user", "--access-key-id", key["AccessKeyId"])
    server.aws("iam", "delete-user", "--user-name", "cli-user")
    missing = server.aws("iam", "get-user", "--user-name", "cli-user", check=False)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr
