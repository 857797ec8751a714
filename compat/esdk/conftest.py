"""Shared fixtures for the Encryption SDK interop suites: the arca binary, keys, SDK clients."""

import os

import pytest

import arca_harness


@pytest.fixture(scope="session")
def arca_bin() -> str:
    """The arca binary: $ARCA_BIN, else built here with cargo."""
    return arca_harness.arca_bin()


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    """AES keys of every size and an RSA key pair, on disk and in memory."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    directory = tmp_path_factory.mktemp("esdk-keys")
    out = {"dir": directory}
    for bits in (128, 192, 256):
        material = os.urandom(bits // 8)
        path = directory / f"aes{bits}.key"
        path.write_bytes(material)
        out[f"aes{bits}"] = (material, str(path))
    private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (directory / "rsa.pem").write_bytes(private_pem)
    (directory / "rsa.pub.pem").write_bytes(public_pem)
    out["rsa_private"] = (private_pem, str(directory / "rsa.pem"))
    out["rsa_public"] = (public_pem, str(directory / "rsa.pub.pem"))
    return out
