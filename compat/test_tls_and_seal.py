"""TLS via rustls when a certificate is configured, and the passphrase seal provider."""
import datetime
import subprocess
import time
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from arca_harness import ArcaServer, arca_bin, free_port


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def start_with_config(tmp_path, name, text, env=None, expect_up=True):
    data_dir = tmp_path / name
    data_dir.mkdir(exist_ok=True)
    config = tmp_path / f"{name}.toml"
    config.write_text(f'[server]\ndata_dir = "{data_dir}"\n' + text)
    node = ArcaServer(data_dir, env=env)
    log = open(tmp_path / f"{name}.log", "ab")
    node.process = subprocess.Popen([arca_bin(), "server", "--config", str(config), "--listen", f"127.0.0.1:{node.port}"],
                                    stdout=log, stderr=subprocess.STDOUT, env=env)
    return node


def test_tls_with_boto3(tmp_path):
    cert, key = self_signed(tmp_path)
    node = start_with_config(tmp_path, "tls", f'[server.tls]\ncert_file = "{cert}"\nkey_file = "{key}"\n')
    node.endpoint = f"https://127.0.0.1:{node.port}"
    try:
        for _ in range(300):
            if (node.data_dir / "config").exists():
                break
            time.sleep(0.05)
        time.sleep(0.3)
        assert "endpoint_url = https://" in (node.data_dir / "config").read_text()
        access_key_id, secret = node.root_credentials()
        kms = node.session(access_key_id, secret).client("kms", endpoint_url=node.endpoint, verify=str(cert))
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"over tls")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"over tls"
        with pytest.raises(Exception):
            urllib.request.urlopen(f"http://127.0.0.1:{node.port}/health", timeout=2).read()
    finally:
        node.stop()


def wait_healthy(node):
    for _ in range(600):
        if node.process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(node.endpoint + "/health", timeout=1)
            return True
        except OSError:
            time.sleep(0.05)
    return False


def test_passphrase_seal(tmp_path):
    import os
    env = dict(os.environ, ARCA_SEAL_PASSPHRASE="correct horse battery staple")
    node = start_with_config(tmp_path, "pass", '[seal]\nprovider = "passphrase"\n', env=env)
    assert wait_healthy(node)
    kms = node.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"sealed by a passphrase")["CiphertextBlob"]
    node.stop()
    assert not (node.data_dir / "root.key").exists()

    wrong = start_with_config(tmp_path, "pass", '[seal]\nprovider = "passphrase"\n',
                              env=dict(os.environ, ARCA_SEAL_PASSPHRASE="wrong horse"))
    assert wrong.process.wait(timeout=60) != 0
    assert "wrong passphrase" in (tmp_path / "pass.log").read_text()

    again = start_with_config(tmp_path, "pass", '[seal]\nprovider = "passphrase"\n', env=env)
    try:
        assert wait_healthy(again)
        assert again.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"sealed by a passphrase"
    finally:
        again.stop()
