"""KMS key pairs and HMAC keys through boto3 against a live arca server, with the
results checked by independent implementations: Python `cryptography` (OpenSSL) and
the openssl command line."""
import hashlib
import json
import subprocess

import botocore.exceptions
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, padding, rsa, utils


def error(excinfo):
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message", "")


_keys = {}


def pair_key(kms, spec, usage):
    """One key per (spec, usage) for the session: RSA 4096 takes a moment to make."""
    if (spec, usage) not in _keys:
        _keys[(spec, usage)] = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    return _keys[(spec, usage)]


HASHES = {"SHA_256": hashes.SHA256(), "SHA_384": hashes.SHA384(), "SHA_512": hashes.SHA512()}
HASHLIB = {"SHA_256": hashlib.sha256, "SHA_384": hashlib.sha384, "SHA_512": hashlib.sha512}

SIGNING = [
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("RSA_2048", "RSASSA_PSS_SHA_384"),
    ("RSA_2048", "RSASSA_PSS_SHA_512"),
    ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_384"),
    ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
]


def verify_locally(public_der, algorithm, message, signature, prehashed):
    """Verifies with `cryptography`; raises InvalidSignature when it does not hold."""
    public = serialization.load_der_public_key(public_der)
    hash_name = algorithm.rsplit("_", 2)[-2] + "_" + algorithm.rsplit("_", 1)[-1]
    chosen = HASHES[hash_name]
    data_hash = utils.Prehashed(chosen) if prehashed else chosen
    if algorithm.startswith("RSASSA_PSS"):
        public.verify(signature, message, padding.PSS(padding.MGF1(chosen), chosen.digest_size), data_hash)
    elif algorithm.startswith("RSASSA_PKCS1"):
        public.verify(signature, message, padding.PKCS1v15(), data_hash)
    else:
        public.verify(signature, message, ec.ECDSA(data_hash))


@pytest.mark.parametrize("spec,algorithm", SIGNING)
def test_sign_and_verify_raw_and_digest(kms, kms_raw, spec, algorithm):
    key = pair_key(kms, spec, "SIGN_VERIFY")
    public = kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    message = b"message signed by arca"
    digest = HASHLIB[algorithm[-7:]](message).digest()
    for message_type, payload in [("RAW", message), ("DIGEST", digest)]:
        signed = kms.sign(KeyId=key["KeyId"], Message=payload, MessageType=message_type, SigningAlgorithm=algorithm)
        assert signed["KeyId"] == key["Arn"] and signed["SigningAlgorithm"] == algorithm
        verify_locally(public, algorithm, payload, signed["Signature"], message_type == "DIGEST")
        checked = kms.verify(
            KeyId=key["KeyId"], Message=payload, MessageType=message_type,
            Signature=signed["Signature"], SigningAlgorithm=algorithm,
        )
        assert checked["SignatureValid"] is True
    # Any other message, or a damaged signature, is an error, never SignatureValid=false.
    bad = bytearray(signed["Signature"])
    bad[len(bad) // 2] ^= 1
    for payload, signature in [(b"another message", signed["Signature"]), (message, bytes(bad))]:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            kms.verify(KeyId=key["KeyId"], Message=payload, Signature=signature, SigningAlgorithm=algorithm)
        assert error(excinfo)[0] == "KMSInvalidSignatureException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.sign(KeyId=key["KeyId"], Message=message, MessageType="DIGEST", SigningAlgorithm=algorithm)
    assert error(excinfo) == ("ValidationException", f"Digest is invalid length for algorithm {algorithm}.")


@pytest.mark.parametrize("spec,algorithm", [("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"), ("ECC_NIST_P256", "ECDSA_SHA_256")])
def test_openssl_verifies_arca_signatures(kms, tmp_path, spec, algorithm):
    key = pair_key(kms, spec, "SIGN_VERIFY")
    (tmp_path / "public.der").write_bytes(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    message = b"checked by the openssl command line"
    (tmp_path / "message").write_bytes(message)
    signature = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=algorithm)["Signature"]
    (tmp_path / "signature").write_bytes(signature)
    command = ["openssl", "dgst", "-sha256", "-keyform", "DER", "-verify", str(tmp_path / "public.der"),
               "-signature", str(tmp_path / "signature"), str(tmp_path / "message")]
    assert subprocess.run(command, capture_output=True, text=True).stdout.strip() == "Verified OK"
    (tmp_path / "message").write_bytes(message + b"!")
    assert subprocess.run(command, capture_output=True, text=True).returncode != 0


def test_ed25519_and_ml_dsa_signatures_verify_with_cryptography(kms, kms_raw):
    message = b"post-quantum and edwards"
    key = pair_key(kms, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY")
    assert key["SigningAlgorithms"] == ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, ed25519.Ed25519PublicKey)
    signature = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm="ED25519_SHA_512")["Signature"]
    public.verify(signature, message)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.sign(KeyId=key["KeyId"], Message=hashlib.sha512(message).digest(), MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")
    assert error(excinfo)[0] == "UnsupportedOperationException"
    for spec, public_type in [("ML_DSA_44", mldsa.MLDSA44PublicKey), ("ML_DSA_65", mldsa.MLDSA65PublicKey), ("ML_DSA_87", mldsa.MLDSA87PublicKey)]:
        key = pair_key(kms, spec, "SIGN_VERIFY")
        assert key["SigningAlgorithms"] == ["ML_DSA_SHAKE_256"]
        public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
        assert isinstance(public, public_type)
        signature = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
        public.verify(signature, message)
        assert kms.verify(KeyId=key["KeyId"], Message=message, Signature=signature, SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]


def test_signing_refusals_use_aws_words(kms, kms_raw):
    p256 = pair_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.sign(KeyId=p256["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert error(excinfo) == ("InvalidKeyUsageException", "Algorithm RSASSA_PSS_SHA_256 is incompatible with key spec ECC_NIST_P256.")
    symmetric = kms.create_key()["KeyMetadata"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.sign(KeyId=symmetric["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert error(excinfo) == ("InvalidKeyUsageException", f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Sign.")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.encrypt(KeyId=p256["KeyId"], Plaintext=b"m")
    assert error(excinfo) == ("InvalidKeyUsageException", f"{p256['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt.")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT")
    assert error(excinfo) == ("ValidationException", "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.create_key(KeySpec="HMAC_256")
    assert error(excinfo)[0] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=p256["KeyId"])
    assert error(excinfo)[0] == "UnsupportedOperationException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.get_public_key(KeyId=symmetric["KeyId"])
    assert error(excinfo)[0] == "UnsupportedOperationException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms_raw.sign(KeyId=p256["KeyId"], Message=b"x" * 4097, SigningAlgorithm="ECDSA_SHA_256")
    assert error(excinfo)[0] == "ValidationException"


def test_describe_key_lists_what_each_spec_allows(kms):
    rsa_encrypt = pair_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    assert rsa_encrypt["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in rsa_encrypt and "CurrentKeyMaterialId" not in rsa_encrypt
    rsa_sign = pair_key(kms, "RSA_2048", "SIGN_VERIFY")
    assert len(rsa_sign["SigningAlgorithms"]) == 6 and "EncryptionAlgorithms" not in rsa_sign
    agreement = pair_key(kms, "ECC_NIST_P384", "KEY_AGREEMENT")
    assert agreement["KeyAgreementAlgorithms"] == ["ECDH"]
    described = kms.describe_key(KeyId=agreement["KeyId"])["KeyMetadata"]
    assert described["KeySpec"] == "ECC_NIST_P384" and described["KeyUsage"] == "KEY_AGREEMENT"
    hmac = kms.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert hmac["MacAlgorithms"] == ["HMAC_SHA_384"] and "EncryptionAlgorithms" not in hmac
    kem = pair_key(kms, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE")
    assert kem["EncapsulationAlgorithms"] == ["ML_KEM"]
    public = kms.get_public_key(KeyId=rsa_encrypt["KeyId"])
    assert public["KeyUsage"] == "ENCRYPT_DECRYPT" and public["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]


@pytest.mark.parametrize("spec,limit_sha1,limit_sha256", [("RSA_2048", 214, 190), ("RSA_3072", 342, 318), ("RSA_4096", 470, 446)])
def test_rsa_oaep_both_ways_with_cryptography(kms, kms_raw, spec, limit_sha1, limit_sha256):
    key = pair_key(kms, spec, "ENCRYPT_DECRYPT")
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    for algorithm, chosen, limit in [("RSAES_OAEP_SHA_1", hashes.SHA1(), limit_sha1), ("RSAES_OAEP_SHA_256", hashes.SHA256(), limit_sha256)]:
        plaintext = b"p" * limit
        ciphertext = public.encrypt(plaintext, padding.OAEP(padding.MGF1(chosen), chosen, None))
        opened = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=ciphertext, EncryptionAlgorithm=algorithm)
        assert opened["Plaintext"] == plaintext and opened["EncryptionAlgorithm"] == algorithm
        sealed = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"from arca", EncryptionAlgorithm=algorithm)
        assert kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=sealed["CiphertextBlob"], EncryptionAlgorithm=algorithm)["Plaintext"] == b"from arca"
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p" * (limit + 1), EncryptionAlgorithm=algorithm)
        assert error(excinfo) == ("ValidationException", f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {limit} bytes.")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=ciphertext[:-1] + bytes([ciphertext[-1] ^ 1]), EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error(excinfo)[0] == "InvalidCiphertextException"


def test_re_encrypt_between_rsa_and_symmetric_keys(kms):
    rsa_key = pair_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    symmetric = kms.create_key()["KeyMetadata"]
    sealed = kms.encrypt(KeyId=rsa_key["KeyId"], Plaintext=b"moving", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    moved = kms.re_encrypt(
        CiphertextBlob=sealed, SourceKeyId=rsa_key["KeyId"], SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=symmetric["KeyId"],
    )
    assert moved["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256" and moved["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"moving"
    back = kms.re_encrypt(
        CiphertextBlob=moved["CiphertextBlob"], DestinationKeyId=rsa_key["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1",
    )
    assert kms.decrypt(KeyId=rsa_key["KeyId"], CiphertextBlob=back["CiphertextBlob"], EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"moving"


@pytest.mark.parametrize("spec,algorithm", [("HMAC_224", "HMAC_SHA_224"), ("HMAC_256", "HMAC_SHA_256"), ("HMAC_384", "HMAC_SHA_384"), ("HMAC_512", "HMAC_SHA_512")])
def test_generate_and_verify_mac(kms, spec, algorithm):
    key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"tagged", MacAlgorithm=algorithm)
    assert len(mac["Mac"]) == int(spec[-3:]) // 8 and mac["KeyId"] == key["Arn"]
    assert kms.verify_mac(KeyId=key["KeyId"], Message=b"tagged", Mac=mac["Mac"], MacAlgorithm=algorithm)["MacValid"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"tagged!", Mac=mac["Mac"], MacAlgorithm=algorithm)
    assert error(excinfo)[0] == "KMSInvalidMacException"
    other = "HMAC_SHA_512" if algorithm != "HMAC_SHA_512" else "HMAC_SHA_256"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.generate_mac(KeyId=key["KeyId"], Message=b"tagged", MacAlgorithm=other)
    assert error(excinfo) == ("InvalidKeyUsageException", f"Algorithm {other} is incompatible with key spec {spec}.")
    # Two keys of the same spec make different MACs (the key is random, not derived).
    second = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert kms.generate_mac(KeyId=second["KeyId"], Message=b"tagged", MacAlgorithm=algorithm)["Mac"] != mac["Mac"]


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"])
def test_generate_data_key_pair(kms, spec):
    key = kms.create_key()["KeyMetadata"]
    context = {"purpose": "data key pair"}
    pair = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=spec, EncryptionContext=context)
    assert pair["KeyPairSpec"] == spec and pair["KeyId"] == key["Arn"] and pair["KeyMaterialId"]
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
    assert private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]
    opened = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext=context)
    assert opened["Plaintext"] == pair["PrivateKeyPlaintext"]
    without = kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in without
    private = serialization.load_der_private_key(kms.decrypt(CiphertextBlob=without["PrivateKeyCiphertextBlob"])["Plaintext"], None)
    assert private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == without["PublicKey"]


def test_data_key_pairs_need_a_symmetric_key(kms):
    signing = pair_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.generate_data_key_pair(KeyId=signing["KeyId"], KeyPairSpec="ECC_NIST_P256")
    assert error(excinfo)[0] == "InvalidKeyUsageException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.generate_data_key(KeyId=signing["KeyId"], KeySpec="AES_256")
    assert error(excinfo)[0] == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec,curve", [("ECC_NIST_P256", ec.SECP256R1()), ("ECC_NIST_P384", ec.SECP384R1()), ("ECC_NIST_P521", ec.SECP521R1())])
def test_derive_shared_secret_agrees_with_cryptography(kms, spec, curve):
    key = pair_key(kms, spec, "KEY_AGREEMENT")
    ours = ec.generate_private_key(curve)
    ours_public = ours.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    derived = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=ours_public)
    assert derived["KeyOrigin"] == "AWS_KMS" and derived["KeyAgreementAlgorithm"] == "ECDH"
    theirs = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert derived["SharedSecret"] == ours.exchange(ec.ECDH(), theirs)
    other_curve = ec.generate_private_key(ec.SECP256K1()).public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=other_curve)
    assert error(excinfo)[0] == "ValidationException"
    signing = pair_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.derive_shared_secret(KeyId=signing["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=ours_public)
    assert error(excinfo) == ("InvalidKeyUsageException", f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.")


@pytest.mark.parametrize("spec,public_type", [("ML_KEM_768", mlkem.MLKEM768PublicKey), ("ML_KEM_1024", mlkem.MLKEM1024PublicKey)])
def test_ml_kem_encapsulation_both_ways(kms, spec, public_type):
    key = pair_key(kms, spec, "ENCAPSULATE_DECAPSULATE")
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, public_type)
    secret, ciphertext = public.encapsulate()
    opened = kms.decapsulate(KeyId=key["KeyId"], SharedSecretCiphertextBlob=ciphertext, EncapsulationAlgorithm="ML_KEM")
    assert opened["SharedSecret"] == secret
    made = kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert kms.decapsulate(KeyId=key["KeyId"], SharedSecretCiphertextBlob=made["SharedSecretCiphertextBlob"], EncapsulationAlgorithm="ML_KEM")["SharedSecret"] == made["SharedSecret"]


def test_a_key_policy_can_allow_verify_but_not_sign(kms):
    """The attacker holds a principal that the key policy lets verify only."""
    key = pair_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    account = key["AWSAccountId"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "no-signing", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Sign", "Resource": "*"},
        ],
    }
    signature = kms.sign(KeyId=key["KeyId"], Message=b"before", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    try:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            kms.sign(KeyId=key["KeyId"], Message=b"after", SigningAlgorithm="ECDSA_SHA_256")
        assert error(excinfo)[0] == "AccessDeniedException"
        assert kms.verify(KeyId=key["KeyId"], Message=b"before", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    finally:
        policy["Statement"].pop()
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))


def test_get_key_last_usage(kms, server, second_account):
    key = kms.create_key()["KeyMetadata"]
    fresh = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert fresh["KeyId"] == key["Arn"] and fresh["KeyLastUsage"] == {}
    assert fresh["TrackingStartDate"] <= fresh["KeyCreationDate"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"used")["CiphertextBlob"]
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"
    kms.decrypt(CiphertextBlob=blob)
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Decrypt"
    # A failed operation is not a use.
    with pytest.raises(botocore.exceptions.ClientError):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"not": "it"})
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Decrypt"
    signer = pair_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    kms.sign(KeyId=signer["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert kms.get_key_last_usage(KeyId=signer["KeyId"])["KeyLastUsage"]["Operation"] == "Sign"
    # Another account may not ask, whatever the key policy says (AWS: no cross-account use).
    other = server.client("kms", second_account["AccessKeyId"], second_account["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        other.get_key_last_usage(KeyId=key["Arn"])
    assert error(excinfo)[0] == "AccessDeniedException"


def test_key_last_usage_survives_a_restart(tmp_path):
    import time

    from arca_harness import ArcaServer

    server = ArcaServer(tmp_path / "data").start()
    try:
        kms = server.client("kms")
        key = kms.create_key()["KeyMetadata"]
        kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
        time.sleep(6)  # past one flush (every 5 s)
    finally:
        server.stop()
    server.start()
    try:
        used = server.client("kms").get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
        assert used["Operation"] == "GenerateDataKey"
    finally:
        server.stop()
