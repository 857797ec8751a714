"""Shared fixtures: a real `arca server` process, and boto3 clients pointed at it
(the harness itself is in arca_harness.py)."""
import pytest

from arca_harness import ArcaServer


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    instance = ArcaServer(tmp_path_factory.mktemp("arca") / "data", ["--danger-clock-offset", "0"]).start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def kms(server):
    return server.client("kms")


@pytest.fixture(scope="session")
def kms_raw(server):
    """A KMS client that does no client-side validation, to see the server's own errors."""
    return server.client("kms", validate=False)


@pytest.fixture(scope="session")
def second_account(server):
    account = server.create_account("compat-second")
    return account


