"""The newer KMS operations through the AWS CLI (v1, from the venv) against a live arca
server: key pairs, HMAC, grants, import and multi-Region keys, success and failure."""
import base64
import json
import subprocess


def aws(server, *args, check=True):
    result = server.aws(*args, check=check)
    return json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip() else result


def test_sign_verify_and_public_key_with_the_cli(server, tmp_path):
    key = aws(server, "kms", "create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY")["KeyMetadata"]
    assert key["SigningAlgorithms"] == ["ECDSA_SHA_384"]
    (tmp_path / "message").write_bytes(b"signed through the aws cli")
    signed = aws(server, "kms", "sign", "--key-id", key["KeyId"], "--message", f"fileb://{tmp_path / 'message'}",
                 "--signing-algorithm", "ECDSA_SHA_384")
    (tmp_path / "signature").write_bytes(base64.b64decode(signed["Signature"]))
    checked = aws(server, "kms", "verify", "--key-id", key["KeyId"], "--message", f"fileb://{tmp_path / 'message'}",
                  "--signature", f"fileb://{tmp_path / 'signature'}", "--signing-algorithm", "ECDSA_SHA_384")
    assert checked["SignatureValid"] is True
    public = aws(server, "kms", "get-public-key", "--key-id", key["KeyId"])
    (tmp_path / "public.der").write_bytes(base64.b64decode(public["PublicKey"]))
    openssl = subprocess.run(["openssl", "dgst", "-sha384", "-keyform", "DER", "-verify", str(tmp_path / "public.der"),
                              "-signature", str(tmp_path / "signature"), str(tmp_path / "message")],
                             capture_output=True, text=True)
    assert openssl.stdout.strip() == "Verified OK"
    (tmp_path / "other").write_bytes(b"another message")
    refused = aws(server, "kms", "verify", "--key-id", key["KeyId"], "--message", f"fileb://{tmp_path / 'other'}",
                  "--signature", f"fileb://{tmp_path / 'signature'}", "--signing-algorithm", "ECDSA_SHA_384", check=False)
    assert refused.returncode != 0 and "KMSInvalidSignatureException" in refused.stderr


def test_mac_grants_and_replicas_with_the_cli(server, tmp_path):
    hmac_key = aws(server, "kms", "create-key", "--key-spec", "HMAC_512", "--key-usage", "GENERATE_VERIFY_MAC")["KeyMetadata"]
    (tmp_path / "message").write_bytes(b"mac me")
    mac = aws(server, "kms", "generate-mac", "--key-id", hmac_key["KeyId"], "--message", f"fileb://{tmp_path / 'message'}",
              "--mac-algorithm", "HMAC_SHA_512")
    (tmp_path / "mac").write_bytes(base64.b64decode(mac["Mac"]))
    assert aws(server, "kms", "verify-mac", "--key-id", hmac_key["KeyId"], "--message", f"fileb://{tmp_path / 'message'}",
               "--mac", f"fileb://{tmp_path / 'mac'}", "--mac-algorithm", "HMAC_SHA_512")["MacValid"] is True
    wrong = aws(server, "kms", "generate-mac", "--key-id", hmac_key["KeyId"], "--message", f"fileb://{tmp_path / 'message'}",
                "--mac-algorithm", "HMAC_SHA_256", check=False)
    assert "InvalidKeyUsageException" in wrong.stderr

    key = aws(server, "kms", "create-key", "--multi-region")["KeyMetadata"]
    account = key["AWSAccountId"]
    grant = aws(server, "kms", "create-grant", "--key-id", key["KeyId"], "--operations", "Encrypt", "Decrypt",
                "--grantee-principal", f"arn:aws:iam::{account}:user/cli-grantee", "--name", "cli")
    grants = aws(server, "kms", "list-grants", "--key-id", key["KeyId"])["Grants"]
    assert [g["GrantId"] for g in grants] == [grant["GrantId"]]
    server.aws("kms", "revoke-grant", "--key-id", key["KeyId"], "--grant-id", grant["GrantId"])
    assert aws(server, "kms", "list-grants", "--key-id", key["KeyId"])["Grants"] == []

    replica = aws(server, "kms", "replicate-key", "--key-id", key["KeyId"], "--replica-region", "eu-central-1")
    assert replica["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    again = aws(server, "kms", "replicate-key", "--key-id", key["KeyId"], "--replica-region", "eu-central-1", check=False)
    assert "AlreadyExistsException" in again.stderr


def test_import_parameters_with_the_cli(server):
    key = aws(server, "kms", "create-key", "--origin", "EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport"
    params = aws(server, "kms", "get-parameters-for-import", "--key-id", key["KeyId"],
                 "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_3072")
    assert params["KeyId"] == key["Arn"] and params["ImportToken"] and params["PublicKey"]
    native = aws(server, "kms", "create-key")["KeyMetadata"]
    refused = aws(server, "kms", "get-parameters-for-import", "--key-id", native["KeyId"],
                  "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048", check=False)
    assert "UnsupportedOperationException" in refused.stderr
