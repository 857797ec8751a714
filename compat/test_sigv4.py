"""SigV4 failures get AWS's error codes: unknown key, wrong signature, expired request."""
import datetime
import json
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def signed_request(server, credentials, target="TrentService.ListKeys", body=b"{}", service="kms",
                   timestamp=None, presign=False):
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    creds = botocore.credentials.Credentials(*credentials)
    if presign:
        botocore.auth.SigV4QueryAuth(creds, service, "us-east-1", expires=60).add_auth(request)
    elif timestamp is not None:
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: timestamp.replace(tzinfo=None)
        try:
            botocore.auth.SigV4Auth(creds, service, "us-east-1").add_auth(request)
        finally:
            botocore.auth.get_current_datetime = original
    else:
        botocore.auth.SigV4Auth(creds, service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    http_request = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_valid_request(server):
    status, body = signed_request(server, server.root_credentials())
    assert status == 200 and "Keys" in body


def test_unknown_access_key(server):
    status, body = signed_request(server, ("AKIAUNKNOWNUNKNOWN00", "x" * 40))
    assert (status, body["__type"]) == (400, "UnrecognizedClientException")


def test_wrong_secret(server):
    key_id, _ = server.root_credentials()
    status, body = signed_request(server, (key_id, "y" * 40))
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


def test_expired_request(server):
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, body = signed_request(server, server.root_credentials(), timestamp=old)
    assert status == 400 and body["__type"] == "InvalidSignatureException"
    assert "Signature expired" in body["message"]


def test_presigned_query_form(server):
    # A presigned request signs UNSIGNED-PAYLOAD, so it may carry no body.
    status, body = signed_request(server, server.root_credentials(), presign=True, body=b"")
    assert status == 200 and "Keys" in body


def test_missing_authentication(server):
    request = urllib.request.Request(server.endpoint + "/", data=b"{}", method="POST",
                                     headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("unsigned request was accepted")
    except urllib.error.HTTPError as error:
        assert json.loads(error.read())["__type"] == "MissingAuthenticationTokenException"


def test_credentials_scoped_to_another_service(server):
    status, body = signed_request(server, server.root_credentials(), service="s3")
    assert status == 400 and body["__type"] == "InvalidSignatureException"
