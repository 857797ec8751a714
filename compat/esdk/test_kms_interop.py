"""KMS keyrings, both ways with the Python SDK, through a real KMS endpoint.

The endpoint is $ARCA_KMS_ENDPOINT when set (a running `arca server`, with credentials
in the environment); otherwise a moto KMS server started here stands in for it.
"""

import os
import socket
import subprocess
import sys
import time

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def kms_endpoint():
    endpoint = os.environ.get("ARCA_KMS_ENDPOINT")
    if endpoint:
        yield endpoint
        return
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    port = free_port()
    moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
    server = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


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
