"""Two stateless arca nodes on one PostgreSQL: state changes on one node reach the
other within a second (LISTEN/NOTIFY cache invalidation), and jobs run once."""
import json
import os
import subprocess
import time
import urllib.request
import uuid

import botocore.exceptions
import pytest

from arca_harness import ArcaServer, arca_bin, user_with_policy


@pytest.fixture()
def postgres_url():
    base = os.environ.get("ARCA_TEST_POSTGRES_URL")
    assert base, "set ARCA_TEST_POSTGRES_URL or run ./scripts/test"
    name = "arca_multinode_" + uuid.uuid4().hex[:8]
    subprocess.run(["psql", base, "-q", "-c", f"create database {name}"], check=True)
    yield base.rsplit("/", 1)[0] + "/" + name


def start_node(tmp_path, name, postgres_url, key_file):
    data_dir = tmp_path / name
    data_dir.mkdir()
    config = tmp_path / f"{name}.toml"
    config.write_text(f'[server]\ndata_dir = "{data_dir}"\n[store]\nurl = "{postgres_url}"\n[seal]\nkey_file = "{key_file}"\n')
    node = ArcaServer(data_dir)
    node.process = subprocess.Popen([arca_bin(), "server", "--config", str(config), "--listen", f"127.0.0.1:{node.port}"],
                                    stdout=open(tmp_path / f"{name}.log", "wb"), stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            urllib.request.urlopen(node.endpoint + "/health", timeout=1)
            return node
        except OSError:
            if node.process.poll() is not None:
                raise RuntimeError((tmp_path / f"{name}.log").read_text())
            time.sleep(0.05)
    raise RuntimeError("node did not start")


def test_disable_on_one_node_is_refused_on_the_other(tmp_path, postgres_url):
    key_file = tmp_path / "shared-root.key"
    first = start_node(tmp_path, "node-a", postgres_url, key_file)
    second = start_node(tmp_path, "node-b", postgres_url, key_file)
    try:
        assert first.root_credentials() == second.root_credentials()
        kms_a, kms_b = first.client("kms"), second.client("kms")
        key = kms_a.create_key()["KeyMetadata"]
        blob = kms_b.encrypt(KeyId=key["KeyId"], Plaintext=b"warm the cache")["CiphertextBlob"]
        assert kms_a.decrypt(CiphertextBlob=blob)["Plaintext"] == b"warm the cache"
        kms_a.disable_key(KeyId=key["KeyId"])
        deadline = time.time() + 1.0
        refused = False
        while time.time() < deadline:
            try:
                kms_b.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
            except botocore.exceptions.ClientError as error:
                assert error.response["Error"]["Code"] == "DisabledException"
                refused = True
                break
            time.sleep(0.02)
        assert refused, "node b still encrypted under a key disabled on node a after 1 s"
        kms_b.enable_key(KeyId=key["KeyId"])
        time.sleep(0.5)
        kms_a.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    finally:
        first.stop()
        second.stop()


def refused_within(seconds, attempt, codes):
    """Calls `attempt` until it raises a ClientError with one of `codes`; True when that
    happened within `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            attempt()
        except botocore.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] in codes, error.response
            return True
        time.sleep(0.02)
    return False


def test_revocations_on_one_node_are_refused_on_the_other_within_a_second(tmp_path, postgres_url):
    key_file = tmp_path / "shared-root.key"
    first = start_node(tmp_path, "node-a", postgres_url, key_file)
    second = start_node(tmp_path, "node-b", postgres_url, key_file)
    try:
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": ["kms:ListKeys", "kms:ListAliases"], "Resource": "*"}]}
        _, key_id, secret = user_with_policy(first, "revoked", policy)
        on_b = second.client("kms", key_id, secret)
        # Warm node b's caches of the access key, the principal and its policies.
        for _ in range(3):
            on_b.list_keys()
            on_b.list_aliases()

        # A changed user policy: ListAliases no longer allowed.
        narrowed = {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}
        first.client("iam").put_user_policy(UserName="revoked", PolicyName="inline",
                                            PolicyDocument=json.dumps(narrowed))
        assert refused_within(1.0, on_b.list_aliases, {"AccessDeniedException"}), \
            "node b still allowed what a policy changed on node a took away after 1 s"

        # A deleted access key.
        first.client("iam").delete_access_key(UserName="revoked", AccessKeyId=key_id)
        assert refused_within(1.0, on_b.list_keys, {"UnrecognizedClientException"}), \
            "node b still accepted an access key deleted on node a after 1 s"
    finally:
        first.stop()
        second.stop()


def test_secrets_written_on_one_node_are_read_on_the_other(tmp_path, postgres_url):
    key_file = tmp_path / "shared-root.key"
    first = start_node(tmp_path, "node-a", postgres_url, key_file)
    second = start_node(tmp_path, "node-b", postgres_url, key_file)
    try:
        sm_a, sm_b = first.client("secretsmanager"), second.client("secretsmanager")
        name = f"multinode/{uuid.uuid4().hex[:8]}"
        created = sm_a.create_secret(Name=name, SecretString="from node a")
        # The value is sealed under a data key of the shared KMS: the other node opens it.
        assert sm_b.get_secret_value(SecretId=created["ARN"])["SecretString"] == "from node a"
        sm_b.put_secret_value(SecretId=name, SecretString="from node b")
        assert sm_a.get_secret_value(SecretId=name)["SecretString"] == "from node b"
        assert sm_a.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "from node a"
        sm_a.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            sm_b.get_secret_value(SecretId=name)
        assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        first.stop()
        second.stop()
