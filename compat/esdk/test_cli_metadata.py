"""`--metadata-output` against the AWS Encryption CLI (`aws-encryption-sdk-cli` from PyPI).

Both CLIs run against KMS keys in a live `arca server` (the compat suite's `server`
fixture). Decrypting the same message to the same paths must give byte-identical
metadata lines, for version 1 and version 2 messages written by either CLI.
"""

import json
import os
import pathlib
import subprocess

import boto3
import pytest

REGION = "us-east-1"
# It pins the Python SDK below version 4, so scripts/test installs it in a venv of its own.
AWS_CLI = os.environ.get("ARCA_AWS_ENCRYPTION_CLI",
                         str(pathlib.Path(__file__).resolve().parents[2] / ".venv-esdk-cli" / "bin" / "aws-encryption-cli"))
V1_SUITE = "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384"


@pytest.fixture(scope="module")
def env(server):
    access_key_id, secret = server.root_credentials()
    out = dict(os.environ)
    out.update(AWS_ACCESS_KEY_ID=access_key_id, AWS_SECRET_ACCESS_KEY=secret,
               AWS_ENDPOINT_URL=server.endpoint, AWS_DEFAULT_REGION=REGION)
    out.pop("AWS_PROFILE", None)
    return out


@pytest.fixture(scope="module")
def key_arn(server, env):
    kms = boto3.client("kms", region_name=REGION, endpoint_url=server.endpoint,
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    return kms.create_key(Description="metadata comparison")["KeyMetadata"]["Arn"]


def run(command, env):
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"{command[0]} failed: {result.stderr}"
    return result


def aws_cli(env, mode, source, target, metadata, key_arn, *extra):
    run([AWS_CLI, f"--{mode}", "-i", str(source), "-o", str(target), "--metadata-output", str(metadata),
         "--wrapping-keys", f"key={key_arn}", *extra], env)


def arca_cli(arca_bin, env, server, mode, source, target, metadata, key_arn, *extra):
    run([arca_bin, mode, "-i", str(source), "-o", str(target), "--metadata-output", str(metadata),
         "--wrapping-keys", "provider=aws-kms", f"key={key_arn}", f"region={REGION}",
         f"endpoint={server.endpoint}", *extra], env)


def last_line(path):
    return path.read_text().splitlines()[-1]


@pytest.fixture(scope="module")
def messages(tmp_path_factory, arca_bin, server, env, key_arn):
    """Version 1 and version 2 messages written by each CLI."""
    directory = tmp_path_factory.mktemp("metadata")
    plaintext = directory / "plain.txt"
    plaintext.write_bytes(b"metadata comparison\n" * 500)
    v1 = ["--algorithm", V1_SUITE, "--commitment-policy", "forbid-encrypt-allow-decrypt"]
    out = {}
    for version, extra in (("v2", []), ("v1", v1)):
        out[f"aws-{version}"] = directory / f"aws-{version}.enc"
        aws_cli(env, "encrypt", plaintext, out[f"aws-{version}"], directory / "aws-encrypt.json", key_arn,
                "--encryption-context", "purpose=compare", "owner=zoë", *extra)
        out[f"arca-{version}"] = directory / f"arca-{version}.enc"
        arca_cli(arca_bin, env, server, "encrypt", plaintext, out[f"arca-{version}"], directory / "arca-encrypt.json",
                 key_arn, "--encryption-context", "purpose=compare", "owner=zoë", *extra)
    out["dir"] = directory
    return out


@pytest.mark.parametrize("message", ["aws-v2", "aws-v1", "arca-v2", "arca-v1"])
def test_decrypt_metadata_is_byte_identical(arca_bin, server, env, key_arn, messages, message):
    directory = messages["dir"]
    source = messages[message]
    target = directory / f"{message}.decrypted"
    policy = ["--commitment-policy", "require-encrypt-allow-decrypt"]
    aws_cli(env, "decrypt", source, target, directory / f"{message}.aws.json", key_arn, *policy)
    expected = last_line(directory / f"{message}.aws.json")
    target.unlink()
    arca_cli(arca_bin, env, server, "decrypt", source, target, directory / f"{message}.arca.json", key_arn, *policy)
    assert last_line(directory / f"{message}.arca.json") == expected
    assert target.read_bytes() == b"metadata comparison\n" * 500


def shape(value):
    """The key structure and value types of a record, without its random bytes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def test_encrypt_metadata_has_the_same_fields_and_formatting(messages):
    directory = messages["dir"]
    aws_lines = (directory / "aws-encrypt.json").read_text().splitlines()
    arca_lines = (directory / "arca-encrypt.json").read_text().splitlines()
    assert len(aws_lines) == len(arca_lines) == 2  # appended: one line per run
    for aws_line, arca_line in zip(aws_lines, arca_lines):
        aws_record, arca_record = json.loads(aws_line), json.loads(arca_line)
        assert shape(arca_record) == shape(aws_record)
        assert arca_line == json.dumps(arca_record, sort_keys=True)
        # The signing public key is fresh for every message; the caller's pairs are not.
        public = "aws-crypto-public-key"
        caller = lambda record: {k: v for k, v in record["header"]["encryption_context"].items() if k != public}
        assert caller(arca_record) == caller(aws_record) == {"purpose": "compare", "owner": "zoë"}
        for field in ("algorithm", "version", "type", "content_type", "frame_length", "header_iv_length"):
            assert arca_record["header"][field] == aws_record["header"][field], field


def test_overwrite_metadata_replaces_the_file(arca_bin, server, env, key_arn, messages, tmp_path):
    metadata = tmp_path / "meta.json"
    metadata.write_text("earlier line\n")
    arca_cli(arca_bin, env, server, "decrypt", messages["arca-v2"], tmp_path / "out", metadata, key_arn,
             "--overwrite-metadata")
    lines = metadata.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["mode"] == "decrypt"
