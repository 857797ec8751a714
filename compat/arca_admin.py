"""Calls to Arca's admin API (ArcaAdmin.*), signed with botocore's SigV4 signer."""
import json

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import urllib.request


def admin_call(server, operation, payload, credentials=None):
    access_key_id, secret = credentials or server.root_credentials()
    body = json.dumps(payload).encode()
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"ArcaAdmin.{operation}"},
    )
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(access_key_id, secret), "arca", "us-east-1").add_auth(request)
    prepared = request.prepare()
    http_request = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return {"error": json.loads(error.read()), "status": error.code}
