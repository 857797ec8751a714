"""The gate as an attacker sees it: requests signed by hand with botocore's signer, then
changed before they go out (body swapped, headers unsigned or added, the credential
scope forged), and requests with no valid credentials at all. Each case was accepted by
an earlier Arca; each must now be refused, and must leave no trace it could abuse."""
import json
import socket
import time
import urllib.parse
import urllib.request

import botocore.exceptions
import pytest

from arca_harness import user_with_policy
from forge import FORM_CONTENT_TYPE, JSON_CONTENT_TYPE, kms_call, query_call, send, sign

IAM_VERSION = "2010-05-08"


def iam_users(server):
    return {user["UserName"] for user in server.client("iam").list_users()["Users"]}


def key_state(server, key_id):
    return server.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


@pytest.fixture()
def key_id(server):
    return server.client("kms").create_key(Description="attack target")["KeyMetadata"]["KeyId"]


# --- 1. presigned requests must cover the body ----------------------------------------

def test_presigned_query_url_runs_only_what_it_was_signed_for(server, root):
    query = urllib.parse.urlencode({"Action": "ListUsers", "Version": IAM_VERSION})
    target, headers = sign(server, root, method="POST", query=query, service="iam", presign=True,
                           unsigned_payload=True)
    assert send(server, "POST", target, headers).status == 200, "the presigned URL itself works"

    before = iam_users(server)
    for body in (b"Action=CreateUser&UserName=mallory&Version=2010-05-08",
                 b"UserName=mallory"):
        forged = send(server, "POST", target, {**headers, "Content-Type": FORM_CONTENT_TYPE}, body)
        assert forged.status in (400, 403), forged
        assert forged.error_code in ("SignatureDoesNotMatch", "InvalidParameterCombination"), forged
    assert iam_users(server) == before


def test_presigned_url_cannot_carry_a_body_of_parameters(server, root):
    # Signed with no parameters in the URL at all: the body would choose the action.
    target, headers = sign(server, root, method="POST", service="iam", presign=True, unsigned_payload=True)
    body = b"Action=CreateAccessKey&Version=2010-05-08"
    forged = send(server, "POST", target, {**headers, "Content-Type": FORM_CONTENT_TYPE}, body)
    assert forged.status == 403 and forged.error_code == "SignatureDoesNotMatch", forged
    assert b"SecretAccessKey" not in forged.body


def test_presigned_kms_decrypt_does_not_decrypt_a_swapped_body(server, root, key_id):
    kms = server.client("kms")
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"the victim's secret")["CiphertextBlob"]
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.Decrypt"}
    target, signed = sign(server, root, headers=headers, presign=True, unsigned_payload=True)
    body = json.dumps({"CiphertextBlob": __import__("base64").b64encode(blob).decode()}).encode()
    forged = send(server, "POST", target, signed, body)
    assert forged.status == 400 and forged.error_code == "InvalidSignatureException", forged
    assert b"victim" not in forged.body and b"Plaintext" not in forged.body


def test_presigned_kms_url_signed_only_for_host_cannot_pick_the_operation(server, root, key_id):
    target, signed = sign(server, root, headers={}, presign=True, unsigned_payload=True)
    assert "X-Amz-SignedHeaders=host" in target
    headers = {**signed, "Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.ScheduleKeyDeletion"}
    body = json.dumps({"KeyId": key_id, "PendingWindowInDays": 7}).encode()
    forged = send(server, "POST", target, headers, body)
    assert forged.status == 400, forged
    assert forged.error_code in ("IncompleteSignatureException", "InvalidSignatureException"), forged
    assert key_state(server, key_id) == "Enabled"


def test_presigned_request_with_empty_body_still_works(server, root):
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.ListKeys"}
    for unsigned_payload in (False, True):
        target, signed = sign(server, root, headers=headers, presign=True, unsigned_payload=unsigned_payload)
        answer = send(server, "POST", target, signed, b"")
        assert answer.status == 200 and "Keys" in answer.json(), answer


# --- 2. UNSIGNED-PAYLOAD with header authentication ------------------------------------

def test_unsigned_payload_header_is_refused(server, root, key_id):
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.DisableKey",
               "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    body = json.dumps({"KeyId": key_id}).encode()
    target, signed = sign(server, root, headers=headers, body=body)
    assert "x-amz-content-sha256" in signed["Authorization"]
    answer = send(server, "POST", target, signed, body)
    assert answer.status == 400 and answer.error_code == "InvalidSignatureException", answer
    assert key_state(server, key_id) == "Enabled"


def test_captured_request_with_swapped_body_is_refused(server, root, key_id):
    other = server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.DescribeKey"}
    body = json.dumps({"KeyId": other}).encode()
    target, signed = sign(server, root, headers=headers, body=body)
    assert send(server, "POST", target, signed, body).status == 200
    swapped = json.dumps({"KeyId": key_id}).encode()
    answer = send(server, "POST", target, signed, swapped)
    assert answer.status == 400 and answer.error_code == "InvalidSignatureException", answer


# --- 10. unsigned x-amz-* headers and session tokens -----------------------------------

def test_unsigned_target_cannot_be_swapped(server, root, key_id):
    body = json.dumps({"KeyId": key_id}).encode()
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.DescribeKey"}
    target, signed = sign(server, root, headers=headers, body=body)
    # Re-sign without the target in SignedHeaders, as a careless client might, then swap it.
    signed_headers = signed["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert "x-amz-target" in signed_headers
    target, unsigned = sign(server, root, headers={"Content-Type": JSON_CONTENT_TYPE}, body=body)
    unsigned["X-Amz-Target"] = "TrentService.DisableKey"
    answer = send(server, "POST", target, unsigned, body)
    assert answer.status == 400 and answer.error_code == "IncompleteSignatureException", answer
    assert "x-amz-target" in answer.json()["message"]
    assert key_state(server, key_id) == "Enabled"


def test_unsigned_extra_amz_header_is_refused(server, root):
    target, signed = sign(server, root, headers={"Content-Type": JSON_CONTENT_TYPE,
                                                  "X-Amz-Target": "TrentService.ListKeys"}, body=b"{}")
    signed["X-Amz-Security-Token"] = "forged"
    answer = send(server, "POST", target, signed, b"{}")
    assert answer.status == 400 and answer.error_code == "IncompleteSignatureException", answer


def test_bogus_session_token_on_a_long_term_key_is_refused(server, root):
    answer = kms_call(server, root, "ListKeys", {}, session_token="FQoGZXIvYXdzEBogus")
    assert answer.status == 400 and answer.error_code == "UnrecognizedClientException", answer
    answer = query_call(server, root, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                        session_token="FQoGZXIvYXdzEBogus")
    assert answer.status == 403 and answer.error_code == "InvalidClientTokenId", answer


# --- 8. the credential scope's region ------------------------------------------------

def test_forged_region_cannot_name_another_account(server, root, other_account):
    account_b, _ = other_account
    for region in (f"us-east-1:{account_b}", "mars-north-1", "US-EAST-1"):
        answer = kms_call(server, root, "CreateKey", {"Description": "forged region"}, region=region)
        assert answer.status == 400 and answer.error_code == "InvalidSignatureException", (region, answer)
        assert account_b not in answer.body.decode().replace(region, ""), answer


def test_every_served_region_works(server, root):
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        assert kms_call(server, root, "ListKeys", {}, region=region).status == 200


# --- 4, 5. unauthenticated input changes nothing but a counter ------------------------

def forged_scope_request(server, service_name, body):
    """A request with no valid credentials whose scope names `service_name`."""
    credential = f"AKIAFORGED0000000000/20260101/us-east-1/{service_name}/aws4_request"
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.CreateKey",
               "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
               "Authorization": f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, "
                                f"Signature={'0' * 64}", "Host": f"127.0.0.1:{server.port}"}
    return send(server, "POST", "/", headers, body)


def metrics_text(server):
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
        return response.read().decode()


def test_unauthenticated_requests_do_not_grow_metrics(server):
    before = len(metrics_text(server))
    for index in range(40):
        forged_scope_request(server, f"svc{index}" + "x" * 50_000, b"{}")
    text = metrics_text(server)
    assert "x" * 100 not in text
    assert len(text) < before + 4096, (before, len(text))
    assert "arca_unauthenticated_requests_total" in text


def audit_lines(server):
    return sum(path.read_text().count("\n") for path in server.data_dir.glob("audit*.jsonl"))


def test_unauthenticated_requests_do_not_write_the_audit_log(server):
    server.client("kms").list_keys()
    time.sleep(0.2)
    before = audit_lines(server)
    body = json.dumps({"Description": "d" * 1_000_000}).encode()
    for _ in range(5):
        answer = send(server, "POST", "/", {"Content-Type": JSON_CONTENT_TYPE,
                                            "X-Amz-Target": "TrentService.CreateKey"}, body)
        assert answer.error_code == "MissingAuthenticationTokenException", answer
        assert forged_scope_request(server, "kms", body).status in (400, 403)
    assert audit_lines(server) == before


def test_refused_request_is_audited_with_bounded_members(server):
    _, access_key_id, secret = user_with_policy(server, "bounded-audit", None)
    kms = server.client("kms", access_key_id, secret, validate=False)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        kms.create_key(Description="d" * 500_000)
    assert refused.value.response["Error"]["Code"] in ("AccessDeniedException", "ValidationException")
    time.sleep(0.2)
    events = [json.loads(line) for path in sorted(server.data_dir.glob("audit*.jsonl"))
              for line in path.read_text().splitlines() if access_key_id in line]
    event = events[-1]
    assert event["eventName"] == "CreateKey" and event["requestParametersTruncated"] is True
    assert len(event["requestParameters"]["description"]) <= 256
    assert len(json.dumps(event)) < 16_384


# --- 6. the body's declared size ------------------------------------------------------

def test_oversized_content_length_gets_an_early_413(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n"
                     b"Content-Length: 50000000000\r\n\r\n")
        started = time.time()
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.time() - started < 2


# --- 10. aws:SecureTransport ----------------------------------------------------------

def test_secure_transport_is_false_over_plain_http(server):
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
              "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    _, access_key_id, secret = user_with_policy(server, "tls-only", policy)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        server.client("kms", access_key_id, secret).list_keys()
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_secure_transport_is_true_over_tls(tmp_path):
    from test_tls_and_seal import self_signed, start_with_config
    cert, key = self_signed(tmp_path)
    node = start_with_config(tmp_path, "tls-transport", f'[server.tls]\ncert_file = "{cert}"\nkey_file = "{key}"\n')
    node.endpoint = f"https://127.0.0.1:{node.port}"
    try:
        import os
        os.environ["AWS_CA_BUNDLE"] = str(cert)
        try:
            assert wait_healthy_tls(node, cert)
            policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                      "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
            _, access_key_id, secret = user_with_policy(node, "tls-only", policy)
            assert "Keys" in node.client("kms", access_key_id, secret).list_keys()
        finally:
            del os.environ["AWS_CA_BUNDLE"]
    finally:
        node.stop()


def wait_healthy_tls(node, cert):
    import ssl
    context = ssl.create_default_context(cafile=str(cert))
    for _ in range(600):
        if node.process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(node.endpoint + "/health", timeout=1, context=context)
            return (node.data_dir / "credentials").exists()
        except OSError:
            time.sleep(0.05)
    return False
