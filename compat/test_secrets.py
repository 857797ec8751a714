"""Secrets Manager through boto3 and the AWS CLI against a live arca server: versions and
staging labels, names and ARNs, envelope encryption through Arca's KMS (a disabled key
refuses reads, a caller without kms:Decrypt on a customer key is refused), deletion with
a recovery window and its job, tags, resource policies across accounts, listings,
GetRandomPassword, and errors in AWS's shape."""
import base64
import json
import pathlib
import uuid

import botocore.exceptions
import pytest

from arca_harness import user_with_policy


@pytest.fixture(scope="module")
def sm(server):
    return server.client("secretsmanager")


@pytest.fixture(scope="module")
def sm_raw(server):
    """A client that does no client-side validation, to see the server's own errors."""
    return server.client("secretsmanager", validate=False)


def fails(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call(**kwargs)
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message", "")


def new_name():
    return f"compat/{uuid.uuid4().hex[:12]}"


def test_versions_move_their_staging_labels_as_aws_documents(sm):
    name = new_name()
    first = sm.create_secret(Name=name, SecretString="one", Description="labels")
    assert first["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:") and first["ARN"][-7] == "-"
    second = sm.put_secret_value(SecretId=name, SecretString="two")
    assert second["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    previous = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert (previous["SecretString"], previous["VersionId"]) == ("one", first["VersionId"])
    assert sm.get_secret_value(SecretId=name, VersionId=first["VersionId"])["SecretString"] == "one"

    pending = sm.put_secret_value(SecretId=name, SecretString="three", VersionStages=["AWSPENDING"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                   MoveToVersionId=pending["VersionId"], RemoveFromVersionId=second["VersionId"])
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert sorted(stages[pending["VersionId"]]) == ["AWSCURRENT", "AWSPENDING"]
    assert stages[second["VersionId"]] == ["AWSPREVIOUS"]
    assert first["VersionId"] not in stages
    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {v["VersionId"] for v in listed} == {pending["VersionId"], second["VersionId"]}
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert len(everything) == 3

    code, message = fails(sm.get_secret_value, SecretId=name, VersionId=first["VersionId"],
                          VersionStage="AWSCURRENT")
    assert (code, message) == ("InvalidRequestException",
                               "You provided a VersionStage that is not associated to the provided VersionId.")
    code, message = fails(sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT",
                          MoveToVersionId=second["VersionId"])
    assert code == "InvalidParameterException" and pending["VersionId"] in message


def test_names_full_arns_and_partial_arns_all_find_the_secret(sm):
    name = new_name()
    arn = sm.create_secret(Name=name, SecretBinary=b"\x00\x01binary")["ARN"]
    for secret_id in [name, arn, arn[:-7]]:
        got = sm.get_secret_value(SecretId=secret_id)
        assert got["SecretBinary"] == b"\x00\x01binary" and "SecretString" not in got
    assert fails(sm.get_secret_value, SecretId=arn[:-6] + "zzzzzz") == (
        "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    assert fails(sm.get_secret_value, SecretId=new_name())[0] == "ResourceNotFoundException"
    assert fails(sm.get_secret_value, SecretId=name, VersionStage="AWSPREVIOUS") == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS")


def test_client_request_tokens_make_writes_idempotent(sm):
    name = new_name()
    token = str(uuid.uuid4())
    created = sm.create_secret(Name=name, SecretString="same", ClientRequestToken=token)
    again = sm.create_secret(Name=name, SecretString="same", ClientRequestToken=token)
    assert again["VersionId"] == created["VersionId"] == token
    assert fails(sm.create_secret, Name=name, SecretString="other")[0] == "ResourceExistsException"
    put_token = str(uuid.uuid4())
    sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=put_token)
    sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=put_token)
    assert fails(sm.put_secret_value, SecretId=name, SecretString="v3", ClientRequestToken=put_token)[0] == \
        "ResourceExistsException"
    assert len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]) == 2


def test_bad_input_gets_aws_errors(sm, sm_raw):
    assert fails(sm.create_secret, Name="Inv Name", SecretString="x") == (
        "ValidationException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
    assert fails(sm.create_secret, Name=new_name(), SecretString="x", SecretBinary=b"y")[0] == \
        "InvalidParameterException"
    code, message = fails(sm_raw.create_secret, Name=new_name(), SecretString="x" * 65537)
    assert code == "ValidationException" and "x" * 20 not in message
    assert fails(sm.delete_secret, SecretId=new_name(), RecoveryWindowInDays=3)[0] == "InvalidParameterException"
    assert fails(sm.delete_secret, SecretId=new_name(), RecoveryWindowInDays=7,
                 ForceDeleteWithoutRecovery=True)[0] == "InvalidParameterException"
    assert fails(sm_raw.list_secrets, Filters=[{"Key": "colour", "Values": ["x"]}])[0] in (
        "InvalidParameterException", "ValidationException")
    assert fails(sm.list_secrets, NextToken="bm90LWEtdG9rZW4")[0] == "InvalidNextTokenException"


def test_deletion_waits_out_its_window_and_restore_brings_it_back(server, sm):
    name = new_name()
    arn = sm.create_secret(Name=name, SecretString="keep me")["ARN"]
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert deleted["ARN"] == arn and "DeletionDate" in deleted
    assert fails(sm.get_secret_value, SecretId=name)[0] == "InvalidRequestException"
    assert fails(sm.create_secret, Name=name, SecretString="new") == (
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled for deletion.")
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    assert name not in [s["Name"] for s in sm.list_secrets(MaxResults=100)["SecretList"]]
    assert name in [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep me"

    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    server.advance_clock(6 * 86400)
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    server.advance_clock(2 * 86400)
    assert fails(sm.describe_secret, SecretId=name)[0] == "ResourceNotFoundException"
    recreated = sm.create_secret(Name=name, SecretString="new life")
    assert recreated["ARN"] != arn
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "new life"


def test_force_delete_is_immediate_even_for_a_missing_secret(sm):
    name = new_name()
    sm.create_secret(Name=name, SecretString="gone")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert fails(sm.describe_secret, SecretId=name)[0] == "ResourceNotFoundException"
    missing = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert missing["Name"] == name and "DeletionDate" in missing


def test_only_a_hundred_unlabelled_versions_are_kept(sm):
    name = new_name()
    sm.create_secret(Name=name, SecretString="original")
    for i in range(104):
        sm.put_secret_value(SecretId=name, SecretString=f"update{i}")
    versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, MaxResults=100)
    total = len(versions["Versions"])
    while "NextToken" in versions:
        versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, NextToken=versions["NextToken"])
        total += len(versions["Versions"])
    assert total == 102


def test_listing_filters_sorts_and_pages(sm):
    tag = uuid.uuid4().hex[:8]
    names = [f"list-{tag}/{i}" for i in range(5)]
    for i, name in enumerate(names):
        sm.create_secret(Name=name, SecretString="x", Description=f"listing number{i}",
                         Tags=[{"Key": "suite", "Value": tag}])
    by_tag = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": [tag]}], SortBy="name", SortOrder="desc")
    assert [s["Name"] for s in by_tag["SecretList"]] == list(reversed(names))
    pages, token = [], None
    while True:
        kwargs = {"Filters": [{"Key": "name", "Values": [f"list-{tag}/"]}], "MaxResults": 2, "SortBy": "name"}
        if token:
            kwargs["NextToken"] = token
        page = sm.list_secrets(**kwargs)
        pages.append([s["Name"] for s in page["SecretList"]])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [names[0:2], names[2:4], names[4:5]]
    negated = sm.list_secrets(Filters=[{"Key": "name", "Values": [f"list-{tag}/"]},
                                       {"Key": "description", "Values": ["!listing"]}])
    assert negated["SecretList"] == []
    batch = sm.batch_get_secret_value(Filters=[{"Key": "tag-value", "Values": [tag]}], MaxResults=3)
    assert len(batch["SecretValues"]) == 3 and "NextToken" in batch
    named = sm.batch_get_secret_value(SecretIdList=[names[0], "no/such/secret"])
    assert [v["Name"] for v in named["SecretValues"]] == [names[0]]
    assert named["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"


def test_tags_are_added_overwritten_and_removed(sm):
    name = new_name()
    sm.create_secret(Name=name, SecretString="t", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert sorted((t["Key"], t["Value"]) for t in sm.describe_secret(SecretId=name)["Tags"]) == [("a", "2"), ("b", "3")]
    sm.untag_resource(SecretId=name, TagKeys=["a"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "3"}]
    assert fails(sm.tag_resource, SecretId=name, Tags=[{"Key": "aws:x", "Value": "y"}])[0] == \
        "InvalidParameterException"


def test_random_passwords_honour_every_option(sm):
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    digits = sm.get_random_password(PasswordLength=64, ExcludeLowercase=True, ExcludeUppercase=True,
                                    ExcludePunctuation=True)["RandomPassword"]
    assert len(digits) == 64 and digits.isdigit()
    spaced = sm.get_random_password(PasswordLength=200, IncludeSpace=True, ExcludeCharacters="abcABC123")
    assert " " in spaced["RandomPassword"] and not set("abcABC123") & set(spaced["RandomPassword"])
    assert fails(sm.get_random_password, ExcludeNumbers=True, ExcludeLowercase=True, ExcludeUppercase=True,
                 ExcludePunctuation=True)[0] == "InvalidParameterException"


def test_a_disabled_key_refuses_reads_until_it_is_enabled_again(server, sm):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    name = new_name()
    sm.create_secret(Name=name, SecretString="under a customer key", KmsKeyId=key)
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key
    assert sm.list_secret_version_ids(SecretId=name)["Versions"][0]["KmsKeyIds"] == [key]
    kms.disable_key(KeyId=key)
    code, message = fails(sm.get_secret_value, SecretId=name)
    assert code == "DecryptionFailure" and "under a customer key" not in message
    assert fails(sm.put_secret_value, SecretId=name, SecretString="new")[0] == "EncryptionFailure"
    kms.enable_key(KeyId=key)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "under a customer key"


def test_reading_a_secret_under_a_customer_key_needs_kms_decrypt_through_secrets_manager(server, sm):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    name = new_name()
    sm.create_secret(Name=name, SecretString="needs decrypt", KmsKeyId=key)
    default_name = new_name()
    sm.create_secret(Name=default_name, SecretString="default key")
    secrets_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    _, key_id, secret = user_with_policy(server, f"sm-reader-{uuid.uuid4().hex[:8]}", secrets_only)
    reader = server.client("secretsmanager", key_id, secret)
    assert fails(reader.get_secret_value, SecretId=name) == ("AccessDeniedException", "Access to KMS is not allowed")
    # The AWS managed key lets the account's principals use it through Secrets Manager.
    assert reader.get_secret_value(SecretId=default_name)["SecretString"] == "default key"

    via_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}]}
    _, key_id, secret = user_with_policy(server, f"sm-via-{uuid.uuid4().hex[:8]}", via_only)
    assert server.client("secretsmanager", key_id, secret).get_secret_value(SecretId=name)["SecretString"] == \
        "needs decrypt"
    # The same permission does not let the user decrypt with KMS directly.
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    assert fails(server.client("kms", key_id, secret).decrypt, CiphertextBlob=blob)[0] == "AccessDeniedException"


def test_resource_policies_let_another_account_in_and_block_public_ones(server, sm, second_account):
    kms = server.client("kms")
    owner = sm
    account_b = second_account["AccountId"]
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{kms_account(server)}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_b}:root"}, "Action": "kms:Decrypt",
         "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(key_policy))["KeyMetadata"]["Arn"]
    name = new_name()
    arn = owner.create_secret(Name=name, SecretString="shared", KmsKeyId=key)["ARN"]
    other = server.client("secretsmanager", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    assert fails(other.get_secret_value, SecretId=arn)[0] == "AccessDeniedException"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_b}:root"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    owner.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(policy), BlockPublicPolicy=True)
    assert json.loads(owner.get_resource_policy(SecretId=name)["ResourcePolicy"]) == policy
    assert other.get_secret_value(SecretId=arn)["SecretString"] == "shared"
    # The policy grants reading, not writing; and by name the other account finds only its own secrets.
    assert fails(other.put_secret_value, SecretId=arn, SecretString="x")[0] == "AccessDeniedException"
    assert fails(other.get_secret_value, SecretId=name)[0] == "ResourceNotFoundException"
    listed = owner.list_resource_policies(SecretId=name)["ResourcePolicies"]
    assert listed == [{"PolicyName": "default"}]

    public = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    assert fails(owner.put_resource_policy, SecretId=name, ResourcePolicy=json.dumps(public),
                 BlockPublicPolicy=True)[0] == "PublicPolicyException"
    verdict = owner.validate_resource_policy(ResourcePolicy=json.dumps(public))
    assert verdict["PolicyValidationPassed"] is False and verdict["ValidationErrors"]
    assert owner.validate_resource_policy(ResourcePolicy=json.dumps(policy))["PolicyValidationPassed"] is True
    assert fails(owner.put_resource_policy, SecretId=name, ResourcePolicy="{not json")[0] == \
        "MalformedPolicyDocumentException"
    owner.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in owner.get_resource_policy(SecretId=name)
    assert fails(other.get_secret_value, SecretId=arn)[0] == "AccessDeniedException"


def kms_account(server):
    return server.client("sts").get_caller_identity()["Account"]


def test_secret_values_never_reach_the_store_or_the_audit_log_in_the_clear(server, sm):
    marker = f"plaintext-marker-{uuid.uuid4().hex}"
    name = new_name()
    sm.create_secret(Name=name, SecretString=marker)
    sm.put_secret_value(SecretId=name, SecretBinary=marker.encode() + b"-binary")
    sm.get_secret_value(SecretId=name)
    encoded = base64.b64encode(marker.encode()).decode()[:24]
    for path in pathlib.Path(server.data_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert marker.encode() not in data, path
            assert encoded.encode() not in data, path
    log = pathlib.Path(server.log_path).read_bytes()
    assert marker.encode() not in log


def test_the_aws_cli_creates_and_reads_secrets(server):
    name = new_name()
    created = json.loads(server.aws("secretsmanager", "create-secret", "--name", name,
                                    "--secret-string", '{"user":"app"}').stdout)
    got = json.loads(server.aws("secretsmanager", "get-secret-value", "--secret-id", created["ARN"]).stdout)
    assert json.loads(got["SecretString"]) == {"user": "app"}
    described = json.loads(server.aws("secretsmanager", "describe-secret", "--secret-id", name).stdout)
    assert described["Name"] == name
    failed = server.aws("secretsmanager", "get-secret-value", "--secret-id", new_name(), check=False)
    assert failed.returncode != 0 and "ResourceNotFoundException" in failed.stderr


def test_replicas_follow_their_primary_and_refuse_changes_of_their_own(server, sm):
    name = new_name()
    created = sm.create_secret(Name=name, SecretString="v1", AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert created["ReplicationStatus"] == [
        {"Region": "eu-west-1", "KmsKeyId": "alias/aws/secretsmanager", "Status": "InSync"}]
    west = server.client("secretsmanager", region="eu-west-1")
    replica = west.describe_secret(SecretId=name)
    assert replica["PrimaryRegion"] == "us-east-1"
    assert replica["ARN"] == created["ARN"].replace(":us-east-1:", ":eu-west-1:")
    assert west.get_secret_value(SecretId=replica["ARN"])["SecretString"] == "v1"
    second = sm.put_secret_value(SecretId=name, SecretString="v2")
    got = west.get_secret_value(SecretId=name)
    assert (got["SecretString"], got["VersionId"]) == ("v2", second["VersionId"])
    assert fails(west.put_secret_value, SecretId=name, SecretString="local")[0] == "InvalidRequestException"
    assert fails(sm.delete_secret, SecretId=name)[0] == "InvalidRequestException"

    # A second replica under a customer key of its region.
    key = server.client("kms", region="us-west-2").create_key()["KeyMetadata"]["Arn"]
    added = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "us-west-2", "KmsKeyId": key}])
    assert {s["Region"]: s["Status"] for s in added["ReplicationStatus"]} == {"eu-west-1": "InSync", "us-west-2": "InSync"}
    oregon = server.client("secretsmanager", region="us-west-2")
    assert oregon.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert oregon.list_secret_version_ids(SecretId=name)["Versions"][-1]["KmsKeyIds"] == [key]
    assert sm.describe_secret(SecretId=name)["ReplicationStatus"][1]["KmsKeyId"] == key
    assert fails(sm.replicate_secret_to_regions, SecretId=name,
                 AddReplicaRegions=[{"Region": "us-east-1"}])[0] == "InvalidParameterException"

    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["us-west-2"])
    assert fails(oregon.describe_secret, SecretId=name)[0] == "ResourceNotFoundException"
    west.stop_replication_to_replica(SecretId=name)
    assert "PrimaryRegion" not in west.describe_secret(SecretId=name)
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    west.put_secret_value(SecretId=name, SecretString="its own now")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"


def test_a_name_taken_in_the_destination_fails_the_replica_unless_forced(server, sm):
    name = new_name()
    server.client("secretsmanager", region="eu-west-2").create_secret(Name=name, SecretString="local")
    sm.create_secret(Name=name, SecretString="primary")
    refused = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-2"}])
    status = refused["ReplicationStatus"][0]
    assert status["Status"] == "Failed" and "already exists" in status["StatusMessage"]
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-2"])
    london = server.client("secretsmanager", region="eu-west-2")
    assert london.get_secret_value(SecretId=name)["SecretString"] == "local"
    forced = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-2"}],
                                            ForceOverwriteReplicaSecret=True)
    assert forced["ReplicationStatus"][0]["Status"] == "InSync"
    assert london.get_secret_value(SecretId=name)["SecretString"] == "primary"


def test_a_cross_account_replica_receives_its_primary_once_associated(server, sm, second_account):
    account_a = kms_account(server)
    other_sm = server.client("secretsmanager", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    other_kms = server.client("kms", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    # The replica's key is its owner's; it lets the primary's account seal under it.
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{second_account['AccountId']}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_a}:root"},
         "Action": "kms:GenerateDataKey", "Resource": "*"}]}
    key = other_kms.create_key(Policy=json.dumps(key_policy))["KeyMetadata"]["Arn"]
    name = new_name()
    primary_arn = sm.create_secret(Name=name, SecretString="from the primary")["ARN"]
    assert fails(other_sm.create_secret, Name=name, CrossAccountPrimaryARN=primary_arn)[0] == \
        "InvalidParameterException"
    replica_arn = other_sm.create_secret(Name=f"{name}-replica", KmsKeyId=key,
                                         CrossAccountPrimaryARN=primary_arn)["ARN"]
    assert other_sm.describe_secret(SecretId=replica_arn)["CrossAccountPrimary"] == {
        "PrimarySecretARN": primary_arn, "ReplicationStatus": "Pending"}

    # Without AcceptCrossAccountReplication on the replica the association is refused.
    assert fails(sm.associate_cross_account_replica, SecretId=name,
                 CrossAccountReplicaARN=replica_arn)[0] == "AccessDeniedException"
    assert "VersionIdsToStages" not in other_sm.describe_secret(SecretId=replica_arn)
    accept = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_a}:root"},
         "Action": "secretsmanager:AcceptCrossAccountReplication", "Resource": "*"}]}
    other_sm.put_resource_policy(SecretId=replica_arn, ResourcePolicy=json.dumps(accept))
    associated = sm.associate_cross_account_replica(SecretId=name, CrossAccountReplicaARN=replica_arn)
    assert associated["ReplicationStatus"] == "InSync"
    assert other_sm.get_secret_value(SecretId=replica_arn)["SecretString"] == "from the primary"
    sm.put_secret_value(SecretId=name, SecretString="second value")
    assert other_sm.get_secret_value(SecretId=replica_arn)["SecretString"] == "second value"
    assert fails(other_sm.put_secret_value, SecretId=replica_arn, SecretString="x")[0] == "InvalidRequestException"
    assert sm.describe_secret(SecretId=name)["CrossAccountReplicas"] == [
        {"ReplicaSecretARN": replica_arn, "ReplicationStatus": "InSync"}]
    assert fails(sm.delete_secret, SecretId=name)[0] == "InvalidRequestException"

    sm.disassociate_cross_account_replica(SecretId=name, CrossAccountReplicaARN=replica_arn)
    assert other_sm.describe_secret(SecretId=replica_arn)["CrossAccountPrimary"]["ReplicationStatus"] == "Detached"
    sm.put_secret_value(SecretId=name, SecretString="not copied")
    assert other_sm.get_secret_value(SecretId=replica_arn)["SecretString"] == "second value"
    other_sm.stop_replication_to_replica(SecretId=replica_arn)
    assert "CrossAccountPrimary" not in other_sm.describe_secret(SecretId=replica_arn)
    other_sm.put_secret_value(SecretId=replica_arn, SecretString="its own")
    assert other_sm.get_secret_value(SecretId=replica_arn)["SecretString"] == "its own"
