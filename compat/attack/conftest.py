"""Fixtures of the attacker's-eye suite: the session's server (from compat/conftest.py),
its root credentials, and a second account."""
import pytest


@pytest.fixture(scope="session")
def root(server):
    return server.root_credentials()


@pytest.fixture(scope="session")
def other_account(second_account):
    """(account id, (access key id, secret)) of a second account on the same server."""
    return second_account["AccountId"], (second_account["AccessKeyId"], second_account["SecretAccessKey"])
