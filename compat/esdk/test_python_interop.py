"""Arca's `arca encrypt`/`arca decrypt` against the AWS Encryption SDK for Python 4.x, both ways.

Raw AES and raw RSA keyrings from aws_cryptographic_material_providers, multi-keyrings,
every algorithm suite, frame sizes from 128 bytes to 1 MiB (and Python's non-framed
messages), empty and large encryption contexts.
"""

import os
import subprocess

import aws_encryption_sdk
import pytest
from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
from aws_cryptographic_material_providers.mpl.models import (
    AesWrappingAlg,
    CreateMultiKeyringInput,
    CreateRawAesKeyringInput,
    CreateRawRsaKeyringInput,
    PaddingScheme,
)
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.identifiers import Algorithm

MPL = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
NAMESPACE = "arca-interop"
SUITES = [0x0014, 0x0046, 0x0078, 0x0114, 0x0146, 0x0178, 0x0214, 0x0346, 0x0378, 0x0478, 0x0578]
WRAPPING_ALG = {
    128: AesWrappingAlg.ALG_AES128_GCM_IV12_TAG16,
    192: AesWrappingAlg.ALG_AES192_GCM_IV12_TAG16,
    256: AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16,
}
PADDINGS = {
    "pkcs1": PaddingScheme.PKCS1,
    "oaep-sha1": PaddingScheme.OAEP_SHA1_MGF1,
    "oaep-sha256": PaddingScheme.OAEP_SHA256_MGF1,
    "oaep-sha384": PaddingScheme.OAEP_SHA384_MGF1,
    "oaep-sha512": PaddingScheme.OAEP_SHA512_MGF1,
}


def committing(suite_id: int) -> bool:
    return suite_id in (0x0478, 0x0578)


def py_client(policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT):
    return aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy)


def py_aes(keys, bits=256, name="aes-key"):
    return MPL.create_raw_aes_keyring(
        CreateRawAesKeyringInput(
            key_namespace=NAMESPACE,
            key_name=name,
            wrapping_key=keys[f"aes{bits}"][0],
            wrapping_alg=WRAPPING_ALG[bits],
        )
    )


def py_rsa(keys, padding="oaep-sha256", private=True, name="rsa-key"):
    return MPL.create_raw_rsa_keyring(
        CreateRawRsaKeyringInput(
            key_namespace=NAMESPACE,
            key_name=name,
            padding_scheme=PADDINGS[padding],
            public_key=keys["rsa_public"][0],
            private_key=keys["rsa_private"][0] if private else None,
        )
    )


def arca_aes(keys, bits=256, name="aes-key"):
    return ["-w", "provider=raw-aes", f"namespace={NAMESPACE}", f"name={name}", f"key-file={keys[f'aes{bits}'][1]}"]


def arca_rsa(keys, padding="oaep-sha256", private=True, name="rsa-key"):
    pem = keys["rsa_private" if private else "rsa_public"][1]
    return ["-w", "provider=raw-rsa", f"namespace={NAMESPACE}", f"name={name}", f"key-file={pem}", f"padding={padding}"]


def arca(arca_bin, mode, data: bytes, args, check=True):
    """Runs arca over stdin/stdout."""
    result = subprocess.run(
        [arca_bin, mode, "-i", "-", "-o", "-", *args],
        input=data,
        capture_output=True,
    )
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


def context_args(context):
    return ["-c", *[f"{k}={v}" for k, v in context.items()] ] if context else []


def policy_args(suite_id):
    policy = "require-encrypt-require-decrypt" if committing(suite_id) else "forbid-encrypt-allow-decrypt"
    return ["--commitment-policy", policy]


PLAINTEXT = os.urandom(20_000) + b"tail"
CONTEXT = {"purpose": "interop", "tenant": "t-1", "unicode": "ärger ✓"}


@pytest.mark.parametrize("suite_id", SUITES, ids=[f"{s:04x}" for s in SUITES])
def test_python_encrypts_arca_decrypts_every_suite(arca_bin, keys, suite_id):
    policy = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT if committing(suite_id) else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    ciphertext, _ = py_client(policy).encrypt(
        source=PLAINTEXT,
        keyring=py_aes(keys),
        encryption_context=CONTEXT,
        algorithm=Algorithm.get_by_id(suite_id),
        frame_length=4096,
    )
    result = arca(arca_bin, "decrypt", ciphertext, [*arca_aes(keys), *policy_args(suite_id), *context_args(CONTEXT)])
    assert result.stdout == PLAINTEXT


@pytest.mark.parametrize("suite_id", SUITES, ids=[f"{s:04x}" for s in SUITES])
def test_arca_encrypts_python_decrypts_every_suite(arca_bin, keys, suite_id):
    result = arca(
        arca_bin,
        "encrypt",
        PLAINTEXT,
        [*arca_aes(keys), *policy_args(suite_id), "--algorithm", f"0x{suite_id:04x}", *context_args(CONTEXT)],
    )
    plaintext, header = py_client().decrypt(source=result.stdout, keyring=py_aes(keys), encryption_context=CONTEXT)
    assert plaintext == PLAINTEXT
    assert header.algorithm.algorithm_id == suite_id
    assert header.encryption_context["tenant"] == "t-1"


@pytest.mark.parametrize("frame_length", [128, 4096, 65536, 1 << 20])
@pytest.mark.parametrize("size", [0, 1, 4096, 300_000])
def test_frame_sizes_both_ways(arca_bin, keys, frame_length, size):
    data = os.urandom(size)
    message = arca(arca_bin, "encrypt", data, [*arca_aes(keys), "--frame-length", str(frame_length)]).stdout
    assert py_client().decrypt(source=message, keyring=py_aes(keys))[0] == data
    message, _ = py_client().encrypt(source=data, keyring=py_aes(keys), frame_length=frame_length)
    assert arca(arca_bin, "decrypt", message, arca_aes(keys)).stdout == data


def test_python_non_framed_messages_decrypt(arca_bin, keys):
    for suite_id in (0x0578, 0x0178):
        policy = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT if committing(suite_id) else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
        message, _ = py_client(policy).encrypt(
            source=PLAINTEXT, keyring=py_aes(keys), frame_length=0, algorithm=Algorithm.get_by_id(suite_id)
        )
        assert arca(arca_bin, "decrypt", message, [*arca_aes(keys), *policy_args(suite_id)]).stdout == PLAINTEXT


@pytest.mark.parametrize("bits", [128, 192, 256])
def test_aes_key_sizes_both_ways(arca_bin, keys, bits):
    message = arca(arca_bin, "encrypt", PLAINTEXT, arca_aes(keys, bits)).stdout
    assert py_client().decrypt(source=message, keyring=py_aes(keys, bits))[0] == PLAINTEXT
    message, _ = py_client().encrypt(source=PLAINTEXT, keyring=py_aes(keys, bits))
    assert arca(arca_bin, "decrypt", message, arca_aes(keys, bits)).stdout == PLAINTEXT


@pytest.mark.parametrize("context", [{}, {f"key-{i:03d}": "v" * 150 for i in range(300)}], ids=["empty", "large"])
def test_empty_and_large_contexts(arca_bin, keys, context):
    message = arca(arca_bin, "encrypt", PLAINTEXT, [*arca_aes(keys), *context_args(context)]).stdout
    plaintext, header = py_client().decrypt(source=message, keyring=py_aes(keys))
    assert plaintext == PLAINTEXT
    assert {k: v for k, v in header.encryption_context.items() if not k.startswith("aws-crypto-")} == context
    message, _ = py_client().encrypt(source=PLAINTEXT, keyring=py_aes(keys), encryption_context=context)
    assert arca(arca_bin, "decrypt", message, [*arca_aes(keys), *context_args(context)]).stdout == PLAINTEXT


@pytest.mark.parametrize("padding", list(PADDINGS))
def test_raw_rsa_every_padding_both_ways(arca_bin, keys, padding):
    # Arca encrypts with the public key only; Python decrypts with the private key.
    message = arca(arca_bin, "encrypt", PLAINTEXT, arca_rsa(keys, padding, private=False)).stdout
    assert py_client().decrypt(source=message, keyring=py_rsa(keys, padding))[0] == PLAINTEXT
    message, _ = py_client().encrypt(source=PLAINTEXT, keyring=py_rsa(keys, padding))
    assert arca(arca_bin, "decrypt", message, arca_rsa(keys, padding)).stdout == PLAINTEXT
    # A public key alone cannot decrypt.
    refused = arca(arca_bin, "decrypt", message, arca_rsa(keys, padding, private=False), check=False)
    assert refused.returncode != 0 and refused.stdout == b""


def test_multi_keyrings_both_ways(arca_bin, keys):
    multi = MPL.create_multi_keyring(
        CreateMultiKeyringInput(generator=py_aes(keys), child_keyrings=[py_rsa(keys), py_aes(keys, 128, "second")])
    )
    message, header = py_client().encrypt(source=PLAINTEXT, keyring=multi)
    assert len(header.encrypted_data_keys) == 3
    for single in (arca_aes(keys), arca_rsa(keys), arca_aes(keys, 128, "second")):
        assert arca(arca_bin, "decrypt", message, single).stdout == PLAINTEXT
    message = arca(arca_bin, "encrypt", PLAINTEXT, [*arca_aes(keys), *arca_rsa(keys, private=False), *arca_aes(keys, 192, "third")]).stdout
    for single in (py_aes(keys), py_rsa(keys), py_aes(keys, 192, "third")):
        assert py_client().decrypt(source=message, keyring=single)[0] == PLAINTEXT


def test_tampered_python_message_is_refused_without_output(arca_bin, keys, tmp_path):
    message, _ = py_client().encrypt(source=PLAINTEXT, keyring=py_aes(keys), frame_length=1024)
    tampered = bytearray(message)
    tampered[-40] ^= 1  # inside the footer signature
    source = tmp_path / "tampered"
    source.write_bytes(bytes(tampered))
    target = tmp_path / "out"
    result = subprocess.run(
        [arca_bin, "decrypt", "-i", str(source), "-o", str(target), *arca_aes(keys)], capture_output=True
    )
    assert result.returncode != 0
    assert len(result.stderr.decode().strip().splitlines()) == 1
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tampered"]


def test_unsigned_only_and_commitment_policy(arca_bin, keys):
    signed, _ = py_client().encrypt(source=b"x", keyring=py_aes(keys))
    assert arca(arca_bin, "decrypt", signed, [*arca_aes(keys), "--decrypt-unsigned"], check=False).returncode != 0
    unsigned, _ = py_client().encrypt(
        source=b"x", keyring=py_aes(keys), algorithm=Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    )
    assert arca(arca_bin, "decrypt", unsigned, [*arca_aes(keys), "--decrypt-unsigned"]).stdout == b"x"
    legacy, _ = py_client(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT).encrypt(source=b"x", keyring=py_aes(keys))
    assert arca(arca_bin, "decrypt", legacy, arca_aes(keys), check=False).returncode != 0
    assert arca(arca_bin, "decrypt", legacy, [*arca_aes(keys), "--commitment-policy", "require-encrypt-allow-decrypt"]).stdout == b"x"


def test_max_encrypted_data_keys(arca_bin, keys):
    multi = MPL.create_multi_keyring(CreateMultiKeyringInput(generator=py_aes(keys), child_keyrings=[py_rsa(keys)]))
    message, _ = py_client().encrypt(source=b"x", keyring=multi)
    assert arca(arca_bin, "decrypt", message, [*arca_aes(keys), "--max-encrypted-data-keys", "1"], check=False).returncode != 0
    assert arca(arca_bin, "decrypt", message, [*arca_aes(keys), "--max-encrypted-data-keys", "2"]).stdout == b"x"


def test_required_encryption_context_keys_from_python(arca_bin, keys):
    """Python's required-encryption-context CMM leaves `tenant` out of the message but in the
    header tag; arca decrypts when the pair is given again, and refuses otherwise."""
    from aws_cryptographic_material_providers.mpl.models import (
        CreateDefaultCryptographicMaterialsManagerInput,
        CreateRequiredEncryptionContextCMMInput,
    )

    default = MPL.create_default_cryptographic_materials_manager(
        CreateDefaultCryptographicMaterialsManagerInput(keyring=py_aes(keys))
    )
    required = MPL.create_required_encryption_context_cmm(
        CreateRequiredEncryptionContextCMMInput(underlying_cmm=default, required_encryption_context_keys=["tenant"])
    )
    message, header = py_client().encrypt(
        source=PLAINTEXT, materials_manager=required, encryption_context={"tenant": "acme", "stored": "yes"}
    )
    assert b"acme" not in message
    assert arca(arca_bin, "decrypt", message, [*arca_aes(keys), "-c", "tenant=acme"]).stdout == PLAINTEXT
    assert arca(arca_bin, "decrypt", message, [*arca_aes(keys), "-c", "tenant=other"], check=False).returncode != 0
    assert arca(arca_bin, "decrypt", message, arca_aes(keys), check=False).returncode != 0
