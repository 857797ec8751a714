"""Hand-made SigV4 requests for the attacker's-eye suite: sign one request with botocore's
signer (header or presigned form), then change what an attacker would change before it
goes out on a raw socket (body, headers, query), and read back the status and body."""
import http.client
import json
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def error_code(self):
        """The AWS error code, from x-amzn-ErrorType (JSON) or <Code> (Query XML)."""
        code = self.headers.get("x-amzn-errortype")
        if code:
            return code.split(":")[0]
        text = self.body.decode("utf-8", "replace")
        if "<Code>" in text:
            return text.split("<Code>", 1)[1].split("</Code>", 1)[0]
        return None

    def __repr__(self):
        return f"Response({self.status}, {self.body[:300]!r})"


def sign(server, credentials, *, method="POST", path="/", query="", headers=None, body=b"",
         service="kms", region="us-east-1", presign=False, expires=300, session_token=None,
         unsigned_payload=False):
    """Returns (url_path_and_query, headers) of a request signed as botocore signs it.

    With `presign` and `unsigned_payload`, the URL signs `UNSIGNED-PAYLOAD` as S3's
    presigned URLs do (botocore signs the empty body's hash over plain HTTP otherwise):
    the form an attacker reuses with a body of its own."""
    url = server.endpoint + path + (("?" + query) if query else "")
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    creds = botocore.credentials.Credentials(credentials[0], credentials[1], session_token)
    if presign and unsigned_payload:
        botocore.auth.S3SigV4QueryAuth(creds, service, region, expires=expires).add_auth(request)
    elif presign:
        botocore.auth.SigV4QueryAuth(creds, service, region, expires=expires).add_auth(request)
    else:
        botocore.auth.SigV4Auth(creds, service, region).add_auth(request)
    prepared = request.prepare()
    split = urllib.parse.urlsplit(prepared.url)
    target = split.path + (("?" + split.query) if split.query else "")
    return target, dict(prepared.headers)


def send(server, method, target, headers, body=b"", timeout=30):
    """Sends exactly these bytes and headers (no client-side fix-ups) and reads the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        headers["Content-Length"] = str(len(body))
        connection.putrequest(method, target, skip_host="host" in {k.lower() for k in headers},
                              skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def kms_call(server, credentials, operation, payload, **sign_args):
    """A correctly signed KMS JSON 1.1 call."""
    body = json.dumps(payload).encode()
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": f"TrentService.{operation}"}
    target, signed = sign(server, credentials, headers=headers, body=body, **sign_args)
    return send(server, "POST", target, signed, body)


def query_call(server, credentials, service, params, **sign_args):
    """A correctly signed Query-protocol call (IAM, STS) with the parameters in the body."""
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": FORM_CONTENT_TYPE}
    target, signed = sign(server, credentials, headers=headers, body=body, service=service, **sign_args)
    return send(server, "POST", target, signed, body)
