"""Every request is answered in the wire protocol it came in, even when Arca serves no
such service or operation: a JSON, REST-JSON or CBOR client never gets Query XML."""
import json
import sys
from pathlib import Path

import botocore.parsers
import pytest

sys.path.insert(0, str(Path(__file__).parent / "attack"))
from forge import JSON_CONTENT_TYPE, send, sign  # noqa: E402


def cbor_loads(data):
    """Decodes a CBOR item with botocore's own CBOR reader (the one its clients use)."""
    parser = botocore.parsers.RpcV2CBORParser()
    return parser.parse_data_item(parser.get_peekable_stream_from_bytes(data))


@pytest.fixture(scope="module")
def credentials(server):
    return server.root_credentials()


def test_unknown_cbor_service_is_answered_in_cbor(server, credentials):
    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
               "Accept": "application/cbor"}
    path = "/service/NoSuchService/operation/DoThing"
    target, signed = sign(server, credentials, path=path, headers=headers, body=b"\xa0",
                          service="acm-pca")
    answer = send(server, "POST", target, signed, b"\xa0")
    assert 400 <= answer.status < 500, answer
    assert answer.headers["content-type"] == "application/cbor"
    assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor_loads(answer.body)["__type"] == "UnknownOperationException"


def test_unsigned_cbor_request_is_refused_in_cbor(server):
    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
    answer = send(server, "POST", "/service/ACMPrivateCA/operation/ListCertificateAuthorities",
                  headers, b"\xa0")
    assert answer.status in (400, 403), answer
    assert answer.headers["content-type"] == "application/cbor"
    assert cbor_loads(answer.body)["__type"] == "MissingAuthenticationTokenException"


def test_unknown_rest_json_route_is_answered_in_json(server, credentials):
    target, signed = sign(server, credentials, method="GET", path="/jobs/abc", service="macie2")
    answer = send(server, "GET", target, signed)
    assert 400 <= answer.status < 500, answer
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.error_code == "UnknownOperationException"
    assert "message" in answer.json()


def test_json_1_0_is_answered_in_json_1_0(server, credentials):
    body = b"{}"
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "TrentService.ListKeys"}
    target, signed = sign(server, credentials, headers=headers, body=body)
    answer = send(server, "POST", target, signed, body)
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == "application/x-amz-json-1.0"
    assert "Keys" in answer.json()


def test_unknown_json_operation_names_no_query_xml(server, credentials):
    body = b"{}"
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.FlyToTheMoon"}
    target, signed = sign(server, credentials, headers=headers, body=body)
    answer = send(server, "POST", target, signed, body)
    assert answer.status == 400
    assert answer.json()["__type"] == "UnknownOperationException"
    assert not answer.body.startswith(b"<")
