"""Bring your own key: GetParametersForImport, ImportKeyMaterial and
DeleteImportedKeyMaterial through boto3, with the key material wrapped by the openssl
command line exactly as the AWS KMS developer guide shows ("Encrypt key material")."""
import hashlib
import hmac
import os
import subprocess

import botocore.exceptions
import pytest

from arca_harness import ArcaServer

HOUR = 3600


def error(excinfo):
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message", "")


@pytest.fixture()
def fresh(tmp_path):
    instance = ArcaServer(tmp_path / "data", ["--danger-clock-offset", "0"]).start()
    yield instance
    instance.stop()


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def wrap(kms, key_id, material_path, workdir, algorithm="RSAES_OAEP_SHA_256", spec="RSA_2048"):
    """GetParametersForImport, then the AWS guide's openssl commands; returns the token
    and EncryptedKeyMaterial."""
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    (workdir / "WrappingPublicKey.bin").write_bytes(params["PublicKey"])
    md = "sha256" if algorithm.endswith("SHA_256") else "sha1"
    oaep = ["-inkey", "WrappingPublicKey.bin", "-keyform", "DER", "-pubin",
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", f"rsa_oaep_md:{md}", "-pkeyopt", f"rsa_mgf1_md:{md}"]
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        openssl("rand", "-out", "aes-key.bin", "32", cwd=workdir)
        aes_hex = (workdir / "aes-key.bin").read_bytes().hex()
        openssl("enc", "-id-aes256-wrap-pad", "-K", aes_hex, "-iv", "A65959A6",
                "-in", material_path.name, "-out", "key-material-wrapped.bin", cwd=workdir)
        openssl("pkeyutl", "-encrypt", "-in", "aes-key.bin", "-out", "aes-key-wrapped.bin", *oaep, cwd=workdir)
        encrypted = (workdir / "aes-key-wrapped.bin").read_bytes() + (workdir / "key-material-wrapped.bin").read_bytes()
    else:
        openssl("pkeyutl", "-encrypt", "-in", material_path.name, "-out", "EncryptedKeyMaterial.bin", *oaep, cwd=workdir)
        encrypted = (workdir / "EncryptedKeyMaterial.bin").read_bytes()
    return params["ImportToken"], encrypted


def test_symmetric_import_delete_and_reimport(kms, tmp_path):
    key = kms.create_key(Origin="EXTERNAL", Description="imported")["KeyMetadata"]
    assert (key["Origin"], key["KeyState"], key["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    assert "CurrentKeyMaterialId" not in key
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"too early")
    assert error(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is pending import.")

    material = tmp_path / "PlaintextKeyMaterial.bin"
    openssl("rand", "-out", material.name, "32", cwd=tmp_path)
    token, encrypted = wrap(kms, key["KeyId"], material, tmp_path)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted)
    assert error(excinfo) == ("ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
    imported = kms.import_key_material(
        KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and described["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert described["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"under my own key")["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingImport" and "ExpirationModel" not in described
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert error(excinfo)[0] == "KMSInvalidStateException"

    # Other material under the same key is refused; the same material brings it back.
    other = tmp_path / "OtherKeyMaterial.bin"
    other.write_bytes(os.urandom(32))
    token, encrypted = wrap(kms, key["KeyId"], other, tmp_path)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error(excinfo)[0] == "IncorrectKeyMaterialException"
    token, encrypted = wrap(kms, key["KeyId"], material, tmp_path, algorithm="RSAES_OAEP_SHA_1", spec="RSA_3072")
    again = kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                    ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert again["KeyMaterialId"] == imported["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"under my own key"


def test_import_refusals(kms, second_account, server, tmp_path):
    native = kms.create_key()["KeyMetadata"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.get_parameters_for_import(KeyId=native["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    assert error(excinfo) == ("UnsupportedOperationException", f"{native['Arn']} origin is AWS_KMS which is not valid for this operation.")
    one = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    two = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    material = tmp_path / "PlaintextKeyMaterial.bin"
    material.write_bytes(os.urandom(32))
    token, encrypted = wrap(kms, one["KeyId"], material, tmp_path)
    # A token is good only for the key it was issued for.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=two["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error(excinfo)[0] == "InvalidImportTokenException"
    # A made-up token, and material damaged in transit.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=one["KeyId"], ImportToken=os.urandom(32), EncryptedKeyMaterial=encrypted,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error(excinfo)[0] == "InvalidImportTokenException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=one["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted[:-1] + b"\0",
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error(excinfo)[0] == "InvalidCiphertextException"
    # Another account cannot ask for import parameters of this account's key.
    other = server.client("kms", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        other.get_parameters_for_import(KeyId=one["Arn"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    assert error(excinfo)[0] == "AccessDeniedException"


def test_imported_ecc_key_signs_for_openssl_and_verifies_openssl(kms, tmp_path):
    """The guide's RSA_AES_KEY_WRAP_SHA_256 commands carry a PKCS#8 private key."""
    key = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "private.pem", cwd=tmp_path)
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", "private.pem", "-outform", "DER", "-out", "PlaintextKeyMaterial.der", cwd=tmp_path)
    token, encrypted = wrap(kms, key["KeyId"], tmp_path / "PlaintextKeyMaterial.der", tmp_path,
                            algorithm="RSA_AES_KEY_WRAP_SHA_256", spec="RSA_4096")
    imported = kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                       ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert len(imported["KeyMaterialId"]) == 64
    message = b"signed by the imported key"
    (tmp_path / "message").write_bytes(message)
    openssl("dgst", "-sha256", "-sign", "private.pem", "-out", "openssl.sig", "message", cwd=tmp_path)
    checked = kms.verify(KeyId=key["KeyId"], Message=message, Signature=(tmp_path / "openssl.sig").read_bytes(),
                         SigningAlgorithm="ECDSA_SHA_256")
    assert checked["SignatureValid"]
    (tmp_path / "arca.sig").write_bytes(kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm="ECDSA_SHA_256")["Signature"])
    openssl("pkey", "-in", "private.pem", "-pubout", "-out", "public.pem", cwd=tmp_path)
    openssl("dgst", "-sha256", "-verify", "public.pem", "-signature", "arca.sig", "message", cwd=tmp_path)
    # Material of another curve is not key material for this key.
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem", cwd=tmp_path)
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", "p384.pem", "-outform", "DER", "-out", "p384.der", cwd=tmp_path)
    other = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    token, encrypted = wrap(kms, other["KeyId"], tmp_path / "p384.der", tmp_path, algorithm="RSA_AES_KEY_WRAP_SHA_1")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=other["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error(excinfo)[0] == "IncorrectKeyMaterialException"


def test_imported_hmac_key_macs_as_the_key_owner_computes(kms, tmp_path):
    key = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    secret = os.urandom(48)
    (tmp_path / "hmac.bin").write_bytes(secret)
    token, encrypted = wrap(kms, key["KeyId"], tmp_path / "hmac.bin", tmp_path)
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"data", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"data", hashlib.sha256).digest()


def test_new_key_material_and_on_demand_rotation(kms, tmp_path):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    first, second, third = (tmp_path / "one.bin", tmp_path / "two.bin", tmp_path / "three.bin")
    for path in (first, second, third):
        path.write_bytes(os.urandom(32))
    token, encrypted = wrap(kms, key["KeyId"], first, tmp_path)
    one = kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                  ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")["KeyMaterialId"]
    old_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"first material")["CiphertextBlob"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error(excinfo) == ("KMSInvalidStateException", f"No available key material pending rotation for the key: {key['Arn']}.")
    token, encrypted = wrap(kms, key["KeyId"], second, tmp_path)
    two = kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                  ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == one
    token, encrypted = wrap(kms, key["KeyId"], third, tmp_path)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", ImportType="NEW_KEY_MATERIAL")
    code, message = error(excinfo)
    assert code == "KMSInvalidStateException"
    assert message.endswith(f"cannot be imported into KMS key {key['KeyId']}, because another key material (id: {two}) is pending rotation.")
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == two
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"first material"
    new_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"second material")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"second material"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=key["KeyId"])
    assert error(excinfo)[0] == "UnsupportedOperationException"


def test_material_expires_and_tokens_last_a_day(fresh, tmp_path):
    kms = fresh.client("kms")
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    material = tmp_path / "PlaintextKeyMaterial.bin"
    material.write_bytes(os.urandom(32))
    token, encrypted = wrap(kms, key["KeyId"], material, tmp_path)
    now = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CreationDate"]
    valid_to = now.timestamp() + 2 * HOUR
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                            ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and abs(described["ValidTo"].timestamp() - valid_to) < 1
    fresh.advance_clock(3 * HOUR)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    # The same token, a day later, has expired.
    token, encrypted = wrap(kms, key["KeyId"], material, tmp_path)
    fresh.advance_clock(25 * HOUR)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error(excinfo)[0] == "ExpiredImportTokenException"
    # A week after that, the token is forgotten.
    fresh.advance_clock(8 * 24 * HOUR)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=token, EncryptedKeyMaterial=encrypted,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error(excinfo)[0] == "InvalidImportTokenException"
