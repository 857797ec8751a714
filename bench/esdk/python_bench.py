"""The Python AWS Encryption SDK on the same workload as the Rust bench (raw AES-256,
frame 4096): the same size, runs and sinks (encrypt: generated input to a sink;
decrypt: a message file written untimed, to a sink). Each figure is the best run, with
the median beside it."""

import argparse
import io
import os
import statistics
import tempfile
import time

import aws_encryption_sdk
from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
from aws_cryptographic_material_providers.mpl.models import AesWrappingAlg, CreateRawAesKeyringInput
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.identifiers import Algorithm

MIB = 1024 * 1024


class Generated(io.RawIOBase):
    def __init__(self, size):
        self.remaining = size
        self.block = bytes((i * 31) & 0xFF for i in range(1 << 20))

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.remaining, len(self.block))
        buffer[:n] = self.block[:n]
        self.remaining -= n
        return n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64 * MIB)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mpl = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
    keyring = mpl.create_raw_aes_keyring(
        CreateRawAesKeyringInput(
            key_namespace="bench", key_name="aes", wrapping_key=b"\x11" * 32,
            wrapping_alg=AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16,
        )
    )
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    with tempfile.TemporaryDirectory() as directory:
        for suite in (Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY):
            def encryptor():
                return client.stream(mode="e", source=io.BufferedReader(Generated(args.size), 1 << 20),
                                     keyring=keyring, algorithm=suite, frame_length=4096)

            encrypt = []
            for _ in range(max(1, args.repeat)):
                start = time.perf_counter()
                with encryptor() as stream:
                    for _chunk in stream:
                        pass
                encrypt.append(time.perf_counter() - start)
            # The message to decrypt, written untimed.
            path = os.path.join(directory, "message")
            with open(path, "wb") as out, encryptor() as stream:
                for chunk in stream:
                    out.write(chunk)
            decrypt = []
            for _ in range(max(1, args.repeat)):
                start = time.perf_counter()
                with open(path, "rb") as source, client.stream(mode="d", source=source, keyring=keyring) as stream:
                    for _chunk in stream:
                        pass
                decrypt.append(time.perf_counter() - start)
            for name, seconds in (("encrypt", encrypt), ("decrypt", decrypt)):
                print(f"python_{suite.algorithm_id:04x}_{name}_mibs {args.size / MIB / min(seconds):.1f}")
                print(f"python_{suite.algorithm_id:04x}_{name}_median_mibs "
                      f"{args.size / MIB / statistics.median(seconds):.1f}")
    plaintext = b"\x05" * 1024
    start = time.perf_counter()
    for _ in range(args.messages):
        message, _ = client.encrypt(source=plaintext, keyring=keyring)
    print(f"python_messages_encrypt_per_s {args.messages / (time.perf_counter() - start):.1f}")
    start = time.perf_counter()
    for _ in range(args.messages):
        client.decrypt(source=message, keyring=keyring)
    print(f"python_messages_decrypt_per_s {args.messages / (time.perf_counter() - start):.1f}")
    # VmHWM, not getrusage: ru_maxrss carries the parent's peak across fork and exec.
    with open("/proc/self/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(f"python_peak_rss_mib {peak_kib / 1024:.1f}")


if __name__ == "__main__":
    main()
