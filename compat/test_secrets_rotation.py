"""Secrets Manager rotation through a webhook rotation function against a live arca
server. The handler below is written the way an AWS Lambda rotation function is (the
four steps, boto3 calls back into the service under the function's own credentials);
the server POSTs each step as AWS's event with an `X-Arca-Signature` header, and the
test checks the signature, the labels after a rotation, and that a failed step leaves
AWSCURRENT where it was."""
import hashlib
import hmac
import http.server
import json
import os
import threading
import time
import uuid

import botocore.exceptions
import pytest

from arca_harness import ArcaServer, free_port, user_with_policy

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:compat-rotator"
SIGNING_SECRET = "compat-rotation-signing-secret"


class RotationFunction:
    """A rotation function as AWS's template writes one, over a fake database (a dict
    of passwords) that setSecret and testSecret use."""

    def __init__(self):
        self.client = None
        self.database = {}
        self.fail_step = None
        self.events = []
        self.bad_signatures = 0
        # How far the test has moved the server's clock (signatures carry its time).
        self.clock_offset = 0

    def handle(self, event):
        arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
        self.events.append(event)
        if step == self.fail_step:
            raise RuntimeError(f"{step} failed on purpose")
        metadata = self.client.describe_secret(SecretId=arn)
        if not metadata["RotationEnabled"]:
            raise ValueError("rotation is not enabled")
        versions = metadata["VersionIdsToStages"]
        if token not in versions:
            raise ValueError("the version has no stage for rotation")
        if "AWSCURRENT" in versions[token]:
            return
        if "AWSPENDING" not in versions[token]:
            raise ValueError("the version is not pending")
        getattr(self, step)(arn, token)

    def createSecret(self, arn, token):
        current = json.loads(self.client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
        try:
            self.client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except botocore.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            current["password"] = self.client.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
            self.client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current),
                                         VersionStages=["AWSPENDING"])

    def setSecret(self, arn, token):
        pending = json.loads(self.client.get_secret_value(SecretId=arn, VersionId=token,
                                                          VersionStage="AWSPENDING")["SecretString"])
        self.database[pending["username"]] = pending["password"]

    def testSecret(self, arn, token):
        pending = json.loads(self.client.get_secret_value(SecretId=arn, VersionId=token,
                                                          VersionStage="AWSPENDING")["SecretString"])
        assert self.database[pending["username"]] == pending["password"]

    def finishSecret(self, arn, token):
        metadata = self.client.describe_secret(SecretId=arn)
        current = next(v for v, stages in metadata["VersionIdsToStages"].items() if "AWSCURRENT" in stages)
        if current != token:
            self.client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                                    MoveToVersionId=token, RemoveFromVersionId=current)


def serve(function, port):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fields = dict(part.split("=", 1) for part in self.headers.get("X-Arca-Signature", "").split(","))
            expected = hmac.new(SIGNING_SECRET.encode(), f"{fields.get('t')}.".encode() + body,
                                hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, fields.get("v1", "")) or \
                    abs(time.time() + function.clock_offset - int(fields.get("t", "0"))) > 300:
                function.bad_signatures += 1
                self.send_response(401)
                self.end_headers()
                return
            try:
                function.handle(json.loads(body))
                self.send_response(200)
            except Exception:  # the step failed: the server must see a non-2xx answer
                self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def rotation(tmp_path_factory):
    port = free_port()
    function = RotationFunction()
    httpd = serve(function, port)
    directory = tmp_path_factory.mktemp("rotation")
    config = directory / "arca.toml"
    config.write_text(
        "[[secrets.rotation_functions]]\n"
        f'arn = "{FUNCTION_ARN}"\n'
        f'url = "http://127.0.0.1:{port}/rotate"\n'
        'signing_secret_env = "COMPAT_ROTATOR_SECRET"\n')
    env = dict(os.environ, COMPAT_ROTATOR_SECRET=SIGNING_SECRET)
    server = ArcaServer(directory / "data", ["--danger-clock-offset", "0"], env=env, server_config=config).start()
    # The function calls back under its own credentials, as a Lambda's role would.
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:*"], "Resource": "*"}]}
    _, key_id, secret = user_with_policy(server, "rotation-function", policy)
    function.client = server.client("secretsmanager", key_id, secret)
    yield server, function
    server.stop()
    httpd.shutdown()


def wait_for(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_rotation_runs_the_four_steps_and_moves_the_labels(rotation):
    server, function = rotation
    sm = server.client("secretsmanager")
    name = f"rotating/{uuid.uuid4().hex[:8]}"
    first = sm.create_secret(Name=name, SecretString=json.dumps({"username": "app", "password": "initial"}))
    function.database["app"] = "initial"
    token = str(uuid.uuid4())
    started = sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION_ARN, ClientRequestToken=token,
                               RotationRules={"AutomaticallyAfterDays": 30})
    assert started["VersionId"] == token
    assert wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name))
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is True and described["RotationLambdaARN"] == FUNCTION_ARN
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert described["NextRotationDate"] > described["LastRotatedDate"]
    assert described["VersionIdsToStages"] == {token: ["AWSCURRENT"], first["VersionId"]: ["AWSPREVIOUS"]}
    rotated = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert rotated["password"] != "initial" and function.database["app"] == rotated["password"]

    steps = [e for e in function.events if e["ClientRequestToken"] == token]
    assert [e["Step"] for e in steps] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    arn = sm.describe_secret(SecretId=name)["ARN"]
    assert all(e["SecretId"] == arn and e["RotationToken"] for e in steps)
    assert function.bad_signatures == 0


def test_a_failed_step_leaves_awscurrent_where_it_was(rotation):
    server, function = rotation
    sm = server.client("secretsmanager")
    name = f"failing/{uuid.uuid4().hex[:8]}"
    first = sm.create_secret(Name=name, SecretString=json.dumps({"username": "ops", "password": "kept"}))
    function.database["ops"] = "kept"
    function.fail_step = "testSecret"
    try:
        token = str(uuid.uuid4())
        sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION_ARN, ClientRequestToken=token)
        assert wait_for(lambda: any(e["ClientRequestToken"] == token and e["Step"] == "testSecret"
                                    for e in function.events))
        time.sleep(1)
    finally:
        function.fail_step = None
    described = sm.describe_secret(SecretId=name)
    assert "LastRotatedDate" not in described
    assert described["VersionIdsToStages"][first["VersionId"]] == ["AWSCURRENT"]
    assert described["VersionIdsToStages"][token] == ["AWSPENDING"]
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"] == "kept"
    # The failure is in the audit log as CloudTrail's RotationFailed, without the values.
    arn = described["ARN"]
    pending = sm.get_secret_value(SecretId=name, VersionId=token, VersionStage="AWSPENDING")["SecretString"]

    def audited(event_name):
        for line in (server.data_dir / "audit.jsonl").read_text().splitlines():
            event = json.loads(line)
            if event.get("eventName") == event_name and event["serviceEventDetails"]["secretId"] == arn:
                return event
        return None

    assert wait_for(lambda: audited("RotationFailed") is not None)
    failed = audited("RotationFailed")
    assert failed["eventType"] == "AwsServiceEvent" and failed["eventSource"] == "secretsmanager.amazonaws.com"
    assert "testSecret" in failed["serviceEventDetails"]["failureReason"]
    assert audited("RotationStarted") is not None
    log = (server.data_dir / "audit.jsonl").read_text()
    assert json.loads(pending)["password"] not in log
    # Another token is refused while that rotation is unfinished; the same token retries it.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sm.rotate_secret(SecretId=name, ClientRequestToken=str(uuid.uuid4()))
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    sm.rotate_secret(SecretId=name, ClientRequestToken=token)
    assert wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name))
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"][token] == ["AWSCURRENT"]


def test_refused_rotations_change_nothing(rotation):
    server, _ = rotation
    sm = server.client("secretsmanager")
    name = f"refused/{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="x")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sm.rotate_secret(SecretId=name)
    assert excinfo.value.response["Error"]["Message"] == \
        "No Lambda rotation function ARN is associated with this secret."
    unknown = "arn:aws:lambda:us-east-1:123456789012:function:not-configured"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sm.rotate_secret(SecretId=name, RotationLambdaARN=unknown)
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION_ARN,
                         RotationRules={"ScheduleExpression": "rate(2 hours)"})
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"
    # Permission to rotate is not permission to invoke the function.
    rotate_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}
    _, key_id, secret = user_with_policy(server, f"rotator-{uuid.uuid4().hex[:8]}", rotate_only)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client("secretsmanager", key_id, secret).rotate_secret(
            SecretId=name, RotationLambdaARN=FUNCTION_ARN, ClientRequestToken=str(uuid.uuid4()))
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "lambda:InvokeFunction" in excinfo.value.response["Error"]["Message"]
    described = sm.describe_secret(SecretId=name)
    assert "RotationEnabled" not in described and len(described["VersionIdsToStages"]) == 1


def test_cancel_turns_rotation_off_and_a_schedule_rotates_from_the_job(rotation):
    server, function = rotation
    sm = server.client("secretsmanager")
    name = f"scheduled/{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=json.dumps({"username": "cron", "password": "p0"}))
    function.database["cron"] = "p0"
    sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION_ARN, RotateImmediately=False,
                     RotationRules={"ScheduleExpression": "cron(0 4 * * ? *)", "Duration": "2h"})
    described = sm.describe_secret(SecretId=name)
    assert described["RotationRules"]["ScheduleExpression"] == "cron(0 4 * * ? *)"
    assert described["NextRotationDate"].hour in (4, 5)
    assert "LastRotatedDate" not in described
    # The window opens at 04:00 UTC: moving the clock past it lets the job rotate.
    seconds = int(described["NextRotationDate"].timestamp() - time.time() - function.clock_offset) + 60
    function.clock_offset += seconds
    server.advance_clock(seconds)
    assert wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name))
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"] != "p0"
    sm.cancel_rotate_secret(SecretId=name)
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False and "NextRotationDate" not in described
