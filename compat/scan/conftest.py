"""Fixtures for the `arca scan` suites: the real binary, a scratch directory, and an
S3 API server (moto) for the bucket source."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _arca_bin() -> str:
    configured = os.environ.get("ARCA_BIN")
    if configured and Path(configured).exists():
        return configured
    subprocess.run(["cargo", "build", "--release", "-p", "arca"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "release" / "arca")


@pytest.fixture(scope="session")
def arca_bin() -> str:
    return _arca_bin()


class Result:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def records(self):
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def findings(self):
        return [r for r in self.records() if "summary" not in r]

    def summary(self):
        return [r for r in self.records() if "summary" in r][-1]["summary"]


@pytest.fixture
def scan(arca_bin):
    def run(*args, env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = subprocess.run(
            [arca_bin, "scan", "--no-progress", *[str(a) for a in args]],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=600,
        )
        return Result(proc)

    return run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server: the one scripts/test started (ARCA_TEST_S3_ENDPOINT) or our own."""
    endpoint = os.environ.get("ARCA_TEST_S3_ENDPOINT")
    if endpoint:
        yield endpoint
        return
    moto = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = _free_port()
    proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)
