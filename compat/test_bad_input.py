"""Malformed requests get AWS errors, never a panic or a 500."""
import json
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest


def post(server, body, target="TrentService.Encrypt", sign=True):
    request = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                                             headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    if sign:
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(*server.root_credentials()), "kms", "us-east-1").add_auth(request)
    prepared = request.prepare()
    http_request = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.mark.parametrize("body", [b"{", b"[]", b"\xff\xfe", b'{"KeyId": 5}', b'{"Plaintext": "***not base64***", "KeyId": "x"}',
                                  b'{"EncryptionContext": "nope", "KeyId": "x", "Plaintext": "eA=="}', b"null", b'"str"'])
def test_malformed_json_bodies(server, body):
    status, answer = post(server, body)
    assert status == 400, answer
    assert answer["__type"] in {"SerializationException", "ValidationException", "NotFoundException"}


def test_unknown_operation(server):
    status, answer = post(server, b"{}", target="TrentService.FlyToTheMoon")
    assert (status, answer["__type"]) == (400, "UnknownOperationException")


def test_body_limit(server):
    # A client that writes its whole body before reading must still see the 413, not a
    # reset connection: repeated, because a server that closes early loses only some races.
    for _ in range(5):
        status, answer = post(server, b"{" + b" " * (2 << 20) + b"}")
        assert (status, answer["__type"]) == (413, "RequestEntityTooLargeException")


def test_deeply_nested_json(server):
    status, answer = post(server, b"[" * 10000 + b"]" * 10000)
    assert status == 400


def test_server_still_healthy(server):
    with urllib.request.urlopen(server.endpoint + "/health", timeout=5) as response:
        assert response.status == 200
