"""Seed files: `arca server --seed FILE` with local-kms's YAML format. Two servers
started on fresh data directories from one seed file open each other's ciphertexts
and verify each other's signatures; applying the file again changes nothing."""
import os
import subprocess
import uuid

import botocore.exceptions
import pytest

from arca_harness import ArcaServer

ACCOUNT = "123456789012"


def openssl(*args, cwd):
    return subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True).stdout


def indent(pem: bytes) -> str:
    return "".join(f"          {line}\n" for line in pem.decode().strip().splitlines())


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    work = tmp_path_factory.mktemp("seed")
    # Keys in the three PEM forms seed files carry: PKCS#8, SEC 1 and PKCS#1.
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem", cwd=work)
    sec1 = openssl("ec", "-in", "ec.pem", "-outform", "PEM", cwd=work)
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem", cwd=work)
    pkcs8 = (work / "rsa.pem").read_bytes()
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", "rsa3072.pem", cwd=work)
    pkcs1 = openssl("rsa", "-in", "rsa3072.pem", "-traditional", cwd=work)
    assert b"BEGIN EC PRIVATE KEY" in sec1 and b"BEGIN RSA PRIVATE KEY" in pkcs1
    ids = {name: str(uuid.uuid4()) for name in ["aes", "external", "pending", "ecc", "rsa", "rsa3072"]}
    backing = [os.urandom(32).hex() for _ in range(3)]
    text = f"""AccountId: "{ACCOUNT}"
Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: {ids['aes']}
          Description: seeded and rotated once
        NextKeyRotation: "2031-01-01T00:00:00+00:00"
        BackingKeys:
          - {backing[0]}
          - {backing[1].upper()}
      - Metadata:
          KeyId: {ids['external']}
          Origin: EXTERNAL
        BackingKeys:
          - {backing[2]}
      - Metadata:
          KeyId: {ids['pending']}
          Origin: EXTERNAL
  Asymmetric:
    Ecc:
      - Metadata:
          KeyId: {ids['ecc']}
          KeyUsage: SIGN_VERIFY
          Description: ECC key
        PrivateKeyPem: |
{indent(sec1)}    Rsa:
      - Metadata:
          KeyId: {ids['rsa']}
          KeyUsage: ENCRYPT_DECRYPT
        PrivateKeyPem: |
{indent(pkcs8)}      - Metadata:
          KeyId: {ids['rsa3072']}
          KeyUsage: SIGN_VERIFY
        PrivateKeyPem: |
{indent(pkcs1)}
Aliases:
  - AliasName: alias/seeded
    TargetKeyId: {ids['aes']}
  - AliasName: alias/seeded-signer
    TargetKeyId: {ids['ecc']}
"""
    path = work / "seed.yaml"
    path.write_text(text)
    return path, ids, work


def start(tmp_path, name, seed_path):
    return ArcaServer(tmp_path / name, ["--seed", str(seed_path)]).start()


def test_two_servers_from_one_seed_open_each_others_ciphertexts(seed, tmp_path):
    path, ids, work = seed
    one, two = start(tmp_path, "one", path), start(tmp_path, "two", path)
    try:
        a, b = one.client("kms"), two.client("kms")
        described = a.describe_key(KeyId="alias/seeded")["KeyMetadata"]
        assert described["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{ids['aes']}"
        assert described["Description"] == "seeded and rotated once"
        assert a.get_key_rotation_status(KeyId=ids["aes"])["KeyRotationEnabled"] is True
        assert len(a.list_key_rotations(KeyId=ids["aes"])["Rotations"]) == 1
        assert described["CurrentKeyMaterialId"] == b.describe_key(KeyId=ids["aes"])["KeyMetadata"]["CurrentKeyMaterialId"]
        blob = a.encrypt(KeyId="alias/seeded", Plaintext=b"fixture", EncryptionContext={"t": "1"})["CiphertextBlob"]
        assert b.decrypt(CiphertextBlob=blob, EncryptionContext={"t": "1"})["Plaintext"] == b"fixture"
        blob = b.encrypt(KeyId=ids["external"], Plaintext=b"imported")["CiphertextBlob"]
        assert a.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
        assert a.describe_key(KeyId=ids["pending"])["KeyMetadata"]["KeyState"] == "PendingImport"
        # The seeded signing keys are the ones in the file: openssl checks with its public half.
        signer = a.describe_key(KeyId="alias/seeded-signer")["KeyMetadata"]
        assert signer["KeySpec"] == "ECC_NIST_P256"
        signature = a.sign(KeyId=ids["ecc"], Message=b"seeded", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        assert b.verify(KeyId=ids["ecc"], Message=b"seeded", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
        (work / "message").write_bytes(b"seeded")
        (work / "signature").write_bytes(signature)
        openssl("pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub", cwd=work)
        openssl("dgst", "-sha256", "-verify", "ec.pub", "-signature", "signature", "message", cwd=work)
        assert a.describe_key(KeyId=ids["rsa3072"])["KeyMetadata"]["KeySpec"] == "RSA_3072"
        sealed = b.encrypt(KeyId=ids["rsa"], Plaintext=b"oaep", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
        assert a.decrypt(KeyId=ids["rsa"], CiphertextBlob=sealed, EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"oaep"
    finally:
        one.stop()
        two.stop()


def test_applying_the_seed_again_changes_nothing(seed, tmp_path):
    path, ids, _ = seed
    server = start(tmp_path, "again", path)
    try:
        kms = server.client("kms")
        keys = sorted(k["KeyId"] for k in kms.list_keys()["Keys"])
        created = kms.describe_key(KeyId=ids["aes"])["KeyMetadata"]["CreationDate"]
        kms.update_key_description(KeyId=ids["aes"], Description="changed by a user")
        kms.update_alias(AliasName="alias/seeded", TargetKeyId=ids["external"])
    finally:
        server.stop()
    server.start()
    try:
        kms = server.client("kms")
        assert sorted(k["KeyId"] for k in kms.list_keys()["Keys"]) == keys
        described = kms.describe_key(KeyId=ids["aes"])["KeyMetadata"]
        assert described["CreationDate"] == created and described["Description"] == "changed by a user"
        aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
        assert aliases["alias/seeded"] == ids["external"]
    finally:
        server.stop()


def test_a_bad_seed_file_stops_the_start_with_its_reason(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: 3b0d7c2e-0000-4000-8000-000000000001\n        BackingKeys:\n          - nothex\n")
    with pytest.raises(RuntimeError) as excinfo:
        start(tmp_path, "bad", bad)
    assert "seed" in str(excinfo.value) and "backing key" in str(excinfo.value)
    assert "nothex" not in str(excinfo.value)
