"""Regenerates botocore.json: requests signed by botocore (the AWS SDK for Python), as a
server would receive them, for arca-sigv4's known-answer tests.

Run: python3 gen_botocore.py > botocore.json   (needs botocore; no network: requests are
captured before they are sent).
"""
import datetime
import json
import sys
from urllib.parse import urlsplit

import botocore.auth
import botocore.session
from botocore.config import Config

FIXED = datetime.datetime(2024, 1, 1, 10, 0, 0)
botocore.auth.get_current_datetime = lambda *args, **kwargs: FIXED

ACCESS_KEY = "AKIAARCAEXAMPLE00001"
SECRET_KEY = "arcaSecretKeyForBotocoreFixtures/0123456+"

captured = []


class Captured(Exception):
    pass


def capture(request, **kwargs):
    parts = urlsplit(request.url)
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = [[k.lower(), v.decode() if isinstance(v, bytes) else v] for k, v in request.headers.items()]
    if not any(name == "host" for name, _ in headers):
        # The HTTP client adds Host from the URL when it sends; botocore signed it.
        headers.insert(0, ["host", parts.netloc])
    captured.append({
        "method": request.method,
        "path": parts.path or "/",
        "query": parts.query,
        "headers": headers,
        "body_hex": body.hex(),
    })
    raise Captured()


def client(service, **kwargs):
    session = botocore.session.get_session()
    session.set_credentials(ACCESS_KEY, SECRET_KEY, kwargs.pop("token", None))
    c = session.create_client(service, region_name=kwargs.pop("region", "us-east-1"),
                              endpoint_url=kwargs.pop("endpoint", None), **kwargs)
    c.meta.events.register("before-send", capture)
    return c


def call(name, function, **params):
    try:
        function(**params)
    except Captured:
        captured[-1]["name"] = name
        return
    raise SystemExit(f"{name}: not captured")


kms = client("kms", endpoint="http://127.0.0.1:8080")
call("kms-encrypt", kms.encrypt, KeyId="alias/demo", Plaintext=b"hello", EncryptionContext={"a": "b"})
call("kms-list-keys", kms.list_keys)
sts = client("sts", endpoint="http://127.0.0.1:8080")
call("sts-get-caller-identity", sts.get_caller_identity)
iam = client("iam", endpoint="http://127.0.0.1:8080")
call("iam-create-user", iam.create_user, UserName="alice", Path="/a b/")
sm = client("secretsmanager", endpoint="http://127.0.0.1:8080", token="FwoGZXIvYXdzEXAMPLE/token+==")
call("secretsmanager-with-session-token", sm.get_secret_value, SecretId="db/pass word")
s3 = client("s3", endpoint="http://127.0.0.1:8080", region="eu-west-1",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
call("s3-get-object-odd-key", s3.get_object, Bucket="bucket", Key="dir/a b+c~\u00fc=&.txt")

presigned = s3.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "x y/\u00e9.txt"}, ExpiresIn=900)
parts = urlsplit(presigned)
captured.append({"name": "s3-presigned-get", "method": "GET", "path": parts.path, "query": parts.query,
                 "headers": [["host", parts.netloc]], "body_hex": ""})

json.dump({"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY,
           "now": "20240101T100000Z", "botocore": botocore.__version__, "requests": captured},
          sys.stdout, indent=1)
sys.stdout.write("\n")
