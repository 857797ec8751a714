"""KMS keyrings, both ways with the Python SDK, through a real KMS endpoint.

The endpoint is a live `arca server` started by the compat suite's `server` fixture.
"""

import os
import subprocess

import boto3
import pytest

import aws_encryption_sdk
from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
from aws_cryptographic_material_providers.mpl.models import CreateAwsKmsKeyringInput
from aws_encryption_sdk import CommitmentPolicy

REGION = "us-east-1"
MPL = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
PLAINTEXT = os.urandom(5000)


@pytest.fixture(scope="module")
def kms_endpoint(server):
    """A live `arca server` (the session fixture of compat/conftest.py); `arca encrypt`
    and the Python SDK both find its root credentials in the environment."""
    access_key_id, secret = server.root_credentials()
    saved = {name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ["AWS_ACCESS_KEY_ID"] = access_key_id
    os.environ["AWS_SECRET_ACCESS_KEY"] = secret
    yield server.endpoint
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def kms(kms_endpoint):
    return boto3.client("kms", region_name=REGION, endpoint_url=kms_endpoint)


@pytest.fixture(scope="module")
def key_arns(kms):
    return [kms.create_key(Description=f"arca esdk interop {i}")["KeyMetadata"]["Arn"] for i in range(2)]


def py_keyring(kms, arn):
    return MPL.create_aws_kms_keyring(CreateAwsKmsKeyringInput(kms_key_id=arn, kms_client=kms))


def arca(arca_bin, mode, data, args, check=True):
    result = subprocess.run([arca_bin, mode, "-i", "-", "-o", "-", *args], input=data, capture_output=True)
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


def kms_args(endpoint, *settings):
    return ["-w", "provider=aws-kms", *settings, f"region={REGION}", f"endpoint={endpoint}"]


CLIENT = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)


def test_python_kms_message_decrypts_with_arca(arca_bin, kms, kms_endpoint, key_arns):
    message, _ = CLIENT.encrypt(source=PLAINTEXT, keyring=py_keyring(kms, key_arns[0]), encryption_context={"app": "interop"})
    out = arca(arca_bin, "decrypt", message, [*kms_args(kms_endpoint, f"key={key_arns[0]}"), "-c", "app=interop"])
    assert out.stdout == PLAINTEXT
    refused = arca(arca_bin, "decrypt", message, kms_args(kms_endpoint, f"key={key_arns[1]}"), check=False)
    assert refused.returncode != 0 and refused.stdout == b""


def test_arca_kms_message_decrypts_with_python(arca_bin, kms, kms_endpoint, key_arns):
    message = arca(arca_bin, "encrypt", PLAINTEXT, [*kms_args(kms_endpoint, f"key={key_arns[0]}", f"key={key_arns[1]}"), "-c", "app=interop"]).stdout
    for arn in key_arns:
        plaintext, header = CLIENT.decrypt(source=message, keyring=py_keyring(kms, arn))
        assert plaintext == PLAINTEXT
        assert len(header.encrypted_data_keys) == 2


def test_discovery_with_filter(arca_bin, kms, kms_endpoint, key_arns):
    account = key_arns[0].split(":")[4]
    message, _ = CLIENT.encrypt(source=PLAINTEXT, keyring=py_keyring(kms, key_arns[1]))
    good = kms_args(kms_endpoint, "discovery=true", f"discovery-account={account}", "discovery-partition=aws")
    assert arca(arca_bin, "decrypt", message, good).stdout == PLAINTEXT
    assert arca(arca_bin, "decrypt", message, kms_args(kms_endpoint, "discovery=true")).stdout == PLAINTEXT
    wrong = kms_args(kms_endpoint, "discovery=true", "discovery-account=000000000000", "discovery-partition=aws")
    assert arca(arca_bin, "decrypt", message, wrong, check=False).returncode != 0
    assert arca(arca_bin, "encrypt", PLAINTEXT, kms_args(kms_endpoint, "discovery=true"), check=False).returncode != 0
