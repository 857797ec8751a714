#!/usr/bin/env python3
"""Golden wire fixtures for arca-wire, made and checked by botocore itself.

    gen-wire-fixtures.py           writes crates/arca-wire/tests/fixtures/*.json
    gen-wire-fixtures.py --check   parses the answers Arca encoded
                                   (fixtures/answers-encoded.json, written by
                                   `ARCA_BLESS=1 cargo test -p arca-wire --test wire_answers`)
                                   with botocore's response parsers and compares
                                   them with what the fixtures expect.

Requests are serialized by botocore's own RPC v2 CBOR and REST-JSON serializers from
real service models shipped with botocore (acm-pca, forced to smithy-rpc-v2-cbor;
macie2) and from a small synthetic model (`arcatest`) for what those two models do not
use: timestamps in inputs, greedy labels, a literal query part, header and query
timestamps, booleans, doubles, prefix headers, a blob payload. Each request is
recorded as it reaches the server, next to the input document the server must decode
it to. Only names, types and values are written; no model documentation.

The output is deterministic: fixed inputs, sorted keys, no generated tokens.
Run with the repository's venv (botocore 1.44.18).
"""

import base64
import calendar
import copy
import datetime
import json
import sys
import urllib.parse
from pathlib import Path

import botocore
import botocore.session
from botocore import parsers, serialize
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import ServiceModel
from botocore.validate import validate_parameters

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates/arca-wire/tests/fixtures"
ENDPOINT = "https://example.amazonaws.com"
UTC = datetime.timezone.utc


def at(*args, micro=0):
    return datetime.datetime(*args, microsecond=micro, tzinfo=UTC)


# A synthetic service: only shapes and HTTP bindings, for the cases the real models
# above do not reach.
ARCATEST = {
    "version": "2.0",
    "metadata": {
        "apiVersion": "2024-01-01",
        "endpointPrefix": "arcatest",
        "jsonVersion": "1.1",
        "protocol": "rest-json",
        "protocols": ["rest-json"],
        "serviceId": "Arca Test",
        "signatureVersion": "v4",
        "signingName": "arcatest",
        "targetPrefix": "ArcaTest",
        "uid": "arcatest-2024-01-01",
    },
    "operations": {
        "PutThing": {
            "name": "PutThing",
            "http": {"method": "PUT", "requestUri": "/things/{Bucket}/{Key+}?mode=replace",
                     "responseCode": 200},
            "input": {"shape": "PutThingRequest"},
            "output": {"shape": "PutThingResponse"},
            "errors": [{"shape": "ThingNotFoundException"}],
        },
        "UploadThing": {
            "name": "UploadThing",
            "http": {"method": "POST", "requestUri": "/upload/{Id}", "responseCode": 201},
            "input": {"shape": "UploadThingRequest"},
            "output": {"shape": "UploadThingResponse"},
        },
    },
    "shapes": {
        "PutThingRequest": {
            "type": "structure",
            "required": ["Bucket", "Key"],
            "members": {
                "Bucket": {"shape": "String", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "String", "location": "uri", "locationName": "Key"},
                "Since": {"shape": "Timestamp", "location": "querystring", "locationName": "since"},
                "Flag": {"shape": "Boolean", "location": "querystring", "locationName": "flag"},
                "Ids": {"shape": "IntegerList", "location": "querystring", "locationName": "id"},
                "Ratio": {"shape": "Double", "location": "querystring", "locationName": "ratio"},
                "At": {"shape": "Timestamp", "location": "header", "locationName": "X-Amz-At"},
                "Names": {"shape": "StringList", "location": "header", "locationName": "X-Amz-Names"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Data": {"shape": "Blob"},
                "When": {"shape": "Timestamp"},
                "Nested": {"shape": "Nested"},
            },
        },
        "PutThingResponse": {
            "type": "structure",
            "members": {
                "Data": {"shape": "Blob"},
                "When": {"shape": "Timestamp"},
                "Ratio": {"shape": "Double"},
                "Nested": {"shape": "Nested"},
            },
        },
        "UploadThingRequest": {
            "type": "structure",
            "required": ["Id"],
            "members": {
                "Id": {"shape": "String", "location": "uri", "locationName": "Id"},
                "Body": {"shape": "Blob"},
            },
            "payload": "Body",
        },
        "UploadThingResponse": {"type": "structure", "members": {"Size": {"shape": "Long"}}},
        "Nested": {
            "type": "structure",
            "members": {
                "Count": {"shape": "Long"},
                "Enabled": {"shape": "Boolean"},
                "Tags": {"shape": "StringMap"},
                "Items": {"shape": "ItemList"},
            },
        },
        "Item": {
            "type": "structure",
            "members": {"Name": {"shape": "String"}, "Seen": {"shape": "Timestamp"}},
        },
        "ItemList": {"type": "list", "member": {"shape": "Item"}},
        "ThingNotFoundException": {
            "type": "structure",
            "members": {"message": {"shape": "String"}},
            "error": {"httpStatusCode": 404, "senderFault": True},
            "exception": True,
        },
        "String": {"type": "string"},
        "Boolean": {"type": "boolean"},
        "Double": {"type": "double"},
        "Long": {"type": "long"},
        "Blob": {"type": "blob"},
        "Timestamp": {"type": "timestamp"},
        "IntegerList": {"type": "list", "member": {"shape": "Integer"}},
        "Integer": {"type": "integer"},
        "StringList": {"type": "list", "member": {"shape": "String"}},
        "StringMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
    },
}

CA_ARN = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/0a1b2c3d-0000-4000-8000-000000000001"
CSR = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIBfake\n-----END CERTIFICATE REQUEST-----\n"

CBOR_REQUESTS = [
    ("acm-pca", "IssueCertificate", "issue-certificate", {
        "CertificateAuthorityArn": CA_ARN,
        "Csr": CSR,
        "SigningAlgorithm": "SHA256WITHRSA",
        "TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate/V1",
        "Validity": {"Value": 365, "Type": "DAYS"},
        "ValidityNotBefore": {"Value": 1704067200, "Type": "ABSOLUTE"},
        "ApiPassthrough": {
            "Extensions": {
                "KeyUsage": {"DigitalSignature": True, "KeyEncipherment": True},
                "SubjectAlternativeNames": [{"DnsName": "www.example.com"}],
                "CustomExtensions": [
                    {"ObjectIdentifier": "1.2.3.4", "Value": "AAEC", "Critical": False},
                ],
            },
            "Subject": {"CommonName": "www.example.com", "Country": "US"},
        },
        "IdempotencyToken": "token-1",
    }),
    ("acm-pca", "ListCertificateAuthorities", "list-certificate-authorities", {
        "MaxResults": 10, "NextToken": "next-1", "ResourceOwner": "SELF",
    }),
    ("acm-pca", "ListCertificateAuthorities", "list-certificate-authorities-empty", {}),
    ("acm-pca", "CreateCertificateAuthority", "create-certificate-authority", {
        "CertificateAuthorityConfiguration": {
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": "Example Root", "Organization": "Example"},
        },
        "RevocationConfiguration": {
            "CrlConfiguration": {"Enabled": True, "ExpirationInDays": 7, "S3BucketName": "crl-bucket"},
        },
        "CertificateAuthorityType": "ROOT",
        "IdempotencyToken": "token-2",
        "KeyStorageSecurityStandard": "FIPS_140_2_LEVEL_3_OR_HIGHER",
        "Tags": [{"Key": "team", "Value": "pki"}, {"Key": "empty", "Value": ""}],
        "UsageMode": "GENERAL_PURPOSE",
    }),
    ("acm-pca", "ImportCertificateAuthorityCertificate", "import-ca-certificate", {
        "CertificateAuthorityArn": CA_ARN,
        "Certificate": bytes(range(256)),
        "CertificateChain": b"",
    }),
    ("acm-pca", "RevokeCertificate", "revoke-certificate", {
        "CertificateAuthorityArn": CA_ARN,
        "CertificateSerial": "79:3f:0d:5b:6a:04:12:5e:2c:9c:fb:52:37:35:98:fe",
        "RevocationReason": "KEY_COMPROMISE",
    }),
    ("arcatest", "PutThing", "timestamps-and-blobs", {
        "Bucket": "b", "Key": "k",
        "Data": b"\x00\x01\xfe\xff",
        "When": at(2024, 1, 2, 3, 4, 5),
        "Ratio": 0.25,
        "Flag": False,
        "Ids": [1, -2, 300000],
        "Nested": {
            "Count": -9007199254740993,
            "Enabled": True,
            "Tags": {"a": "1", "ü": "ß"},
            "Items": [{"Name": "x", "Seen": at(2024, 1, 2, 3, 4, 5, micro=500000)}],
        },
    }),
]

MACIE_JOB_ID = "3ce05dbb7ec5505def334104bf4f8f8b"
MACIE_BUCKET_CRITERIA = {
    "includes": {"and": [{"simpleCriterion": {
        "comparator": "EQ", "key": "ACCOUNT_ID", "values": ["111122223333"]}}]},
}

REST_REQUESTS = [
    ("macie2", "DescribeClassificationJob", "describe-classification-job", {"jobId": MACIE_JOB_ID}),
    ("macie2", "ListAllowLists", "list-allow-lists", {"maxResults": 25, "nextToken": "a b+c/d=="}),
    ("macie2", "ListAllowLists", "list-allow-lists-empty", {}),
    ("macie2", "CreateClassificationJob", "create-classification-job", {
        "clientToken": "token-3",
        "jobType": "SCHEDULED",
        "name": "weekly scan",
        "description": "Ünïcode and \"quotes\"",
        "initialRun": True,
        "samplingPercentage": 50,
        "managedDataIdentifierSelector": "RECOMMENDED",
        "s3JobDefinition": {
            "bucketCriteria": MACIE_BUCKET_CRITERIA,
            "scoping": {"excludes": {"and": [{"simpleScopeTerm": {
                "comparator": "STARTS_WITH", "key": "OBJECT_KEY", "values": ["tmp/"]}}]}},
        },
        "scheduleFrequency": {"weeklySchedule": {"dayOfWeek": "MONDAY"}},
        "tags": {"team": "security"},
    }),
    ("macie2", "UpdateFindingsFilter", "update-findings-filter", {
        "id": "f1/with slash",
        "action": "ARCHIVE",
        "findingCriteria": {"criterion": {"severity.description": {"eq": ["High"]},
                                          "count": {"gte": 2}}},
        "position": 1,
        "clientToken": "token-4",
    }),
    ("macie2", "TagResource", "tag-resource-arn-label", {
        "resourceArn": "arn:aws:macie2:us-east-1:111122223333:classification-job/" + MACIE_JOB_ID,
        "tags": {"env": "prod", "k:v": "a/b"},
    }),
    ("macie2", "UntagResource", "untag-resource-repeated-query", {
        "resourceArn": "arn:aws:macie2:us-east-1:111122223333:findings-filter/f1",
        "tagKeys": ["env", "k:v", "a&b"],
    }),
    ("macie2", "ListFindings", "list-findings", {
        "findingCriteria": {"criterion": {"updatedAt": {"gte": 1704067200000}}},
        "maxResults": 10,
        "sortCriteria": {"attributeName": "updatedAt", "orderBy": "DESC"},
    }),
    ("macie2", "GetUsageStatistics", "get-usage-statistics", {
        "filterBy": [{"comparator": "GT", "key": "total", "values": ["10"]}],
        "timeRange": "PAST_30_DAYS",
    }),
    ("arcatest", "PutThing", "bindings-of-every-kind", {
        "Bucket": "my-bucket",
        "Key": "dir/sub dir/ü+%.txt",
        "Since": at(2024, 1, 2, 3, 4, 5, micro=500000),
        "Flag": True,
        "Ids": [1, 2, 3],
        "Ratio": 1.5,
        "At": at(2024, 1, 2, 3, 4, 5),
        "Names": ["a", "b"],
        "Meta": {"color": "red"},
        "Data": b"\x00\xff",
        "When": at(2024, 1, 2, 3, 4, 5, micro=250000),
        "Nested": {"Count": 3, "Items": [{"Name": "x", "Seen": at(2020, 2, 29, 0, 0, 0)}]},
    }),
    ("arcatest", "UploadThing", "blob-payload", {"Id": "u1", "Body": b"\x89PNG\r\n\x1a\n"}),
]

# Bodies no serializer would write: each must be a 400 SerializationException.
CBOR_MALFORMED = {
    "truncated-map": "a26161",
    "lone-break": "ff",
    "top-level-array": "8101",
    "trailing-item": "a0a0",
    "integer-key": "a10102",
    "deep-nesting": "a16161" + "81" * 100 + "01",
    "huge-declared-length": "a161615bffffffffffffffff",
    "text-not-utf8": "a1616162ffff",
    "indefinite-text-with-bytes-chunk": "a161617f4161ff",
}
REST_MALFORMED = [
    # (name, operation, method, path, query, body, error code)
    ("bad-json", "CreateClassificationJob", "POST", "/jobs", "", b"{\"name\": ", "SerializationException"),
    ("json-array", "CreateClassificationJob", "POST", "/jobs", "", b"[]", "SerializationException"),
    ("integer-query-not-a-number", "ListAllowLists", "GET", "/allow-lists", "maxResults=ten", b"",
     "SerializationException"),
    ("boolean-query-not-a-boolean", "PutThing", "PUT", "/things/b/k", "mode=replace&flag=yes", b"",
     "SerializationException"),
    ("timestamp-query-not-a-date", "PutThing", "PUT", "/things/b/k", "mode=replace&since=tomorrow", b"",
     "SerializationException"),
]

# Outputs Arca encodes; botocore must parse them back to these values.
CBOR_ANSWERS = [
    ("acm-pca", "DescribeCertificateAuthority", "describe-certificate-authority", {
        "CertificateAuthority": {
            "Arn": CA_ARN,
            "OwnerAccount": "111122223333",
            "CreatedAt": at(2024, 1, 2, 3, 4, 5),
            "LastStateChangeAt": at(2024, 1, 2, 3, 4, 5, micro=500000),
            "Type": "ROOT",
            "Status": "ACTIVE",
            "NotBefore": at(2024, 1, 1),
            "NotAfter": at(2034, 1, 1),
            "CertificateAuthorityConfiguration": {
                "KeyAlgorithm": "RSA_2048",
                "SigningAlgorithm": "SHA256WITHRSA",
                "Subject": {"CommonName": "Example Root"},
            },
            "RevocationConfiguration": {"CrlConfiguration": {"Enabled": False}},
            "KeyStorageSecurityStandard": "FIPS_140_2_LEVEL_3_OR_HIGHER",
            "UsageMode": "GENERAL_PURPOSE",
        },
    }),
    ("acm-pca", "GetCertificateAuthorityCsr", "get-csr", {"Csr": "-----BEGIN CERTIFICATE REQUEST-----"}),
    ("acm-pca", "ListCertificateAuthorities", "list-certificate-authorities", {
        "CertificateAuthorities": [{"Arn": CA_ARN, "CreatedAt": at(2024, 1, 2)}],
        "NextToken": "next-2",
    }),
    ("acm-pca", "ListCertificateAuthorities", "list-empty", {"CertificateAuthorities": []}),
    ("arcatest", "PutThing", "blob-timestamp-double", {
        "Data": b"\x00\x01\xfe\xff",
        "When": at(2024, 1, 2, 3, 4, 5, micro=250000),
        "Ratio": -0.5,
        "Nested": {"Count": 9007199254740993, "Enabled": True, "Tags": {"ü": "ß"},
                   "Items": [{"Name": "x", "Seen": at(1969, 12, 31, 23, 59, 59)}]},
    }),
]
REST_ANSWERS = [
    ("macie2", "CreateClassificationJob", "create-classification-job", {
        "jobArn": "arn:aws:macie2:us-east-1:111122223333:classification-job/" + MACIE_JOB_ID,
        "jobId": MACIE_JOB_ID,
    }),
    ("macie2", "DescribeClassificationJob", "describe-classification-job", {
        "jobId": MACIE_JOB_ID,
        "createdAt": at(2024, 1, 2, 3, 4, 5, micro=123000),
        "jobStatus": "RUNNING",
        "samplingPercentage": 100,
        "tags": {"team": "security"},
        "statistics": {"approximateNumberOfObjectsToProcess": 12.5, "numberOfRuns": 3.0},
    }),
    ("macie2", "ListAllowLists", "list-allow-lists", {
        "allowLists": [{"id": "0123456789abcdefghijkl", "name": "names", "createdAt": at(2024, 1, 2)}],
        "nextToken": "n",
    }),
    ("arcatest", "PutThing", "blob-timestamp-double", {
        "Data": b"\x00\x01\xfe\xff",
        "When": at(2024, 1, 2, 3, 4, 5, micro=250000),
        "Ratio": 1e300,
        "Nested": {"Count": 1, "Items": [{"Name": "x", "Seen": at(2024, 1, 2)}]},
    }),
]
ERRORS = [
    # (name, code, status, message)
    ("not-found", "ResourceNotFoundException", 400, "Could not find CA 'x'."),
    ("serialization", "SerializationException", 400, "Malformed CBOR body"),
    ("throttling", "ThrottlingException", 429, "Rate exceeded"),
    ("internal", "InternalFailure", 500, "An internal error occurred (request id 1234)"),
    ("unicode-message", "ValidationException", 400, "Ünïcode ✓"),
]


def service_model(name):
    if name == "arcatest":
        return ServiceModel(copy.deepcopy(ARCATEST), service_name="arcatest")
    return botocore.session.get_session().get_service_model(name)


# ---- converting values to the JSON forms the fixtures carry ----


def epoch(value):
    """Epoch seconds as botocore writes them: an int when whole."""
    seconds = calendar.timegm(value.utctimetuple())
    if value.microsecond:
        return (seconds * 10**6 + value.microsecond) / 10**6
    return seconds


def timestamp_format(shape, protocol):
    fmt = shape.serialization.get("timestampFormat")
    if fmt:
        return fmt
    return "unixTimestamp" if protocol in ("cbor", "rest-json") else "iso8601"


def iso8601(value):
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += ".%06dZ" % value.microsecond
        return text
    return text + "Z"


def document(shape, value, protocol, bound=False):
    """The input document the server must decode: blobs as base64, timestamps as
    epoch seconds (body timestamps keep a model's iso8601 format as text)."""
    kind = shape.type_name
    if kind == "structure":
        return {
            (name if bound else member.serialization.get("name", name)):
                document(member, value[name], protocol)
            for name, member in shape.members.items() if name in value
        }
    if kind == "list":
        return [document(shape.member, item, protocol) for item in value]
    if kind == "map":
        return {key: document(shape.value, item, protocol) for key, item in value.items()}
    if kind == "blob":
        return base64.b64encode(value).decode()
    if kind == "timestamp":
        if not bound and timestamp_format(shape, protocol).lower() == "iso8601":
            return iso8601(value)
        return epoch(value)
    return value


def typed(shape, value, protocol):
    """An output for the Rust test to encode, with blobs and timestamps marked so that
    it can give them their CBOR or JSON form."""
    kind = shape.type_name
    if kind == "structure":
        return {
            member.serialization.get("name", name): typed(member, value[name], protocol)
            for name, member in shape.members.items() if name in value
        }
    if kind == "list":
        return [typed(shape.member, item, protocol) for item in value]
    if kind == "map":
        return {key: typed(shape.value, item, protocol) for key, item in value.items()}
    if kind == "blob":
        return {"$blob": base64.b64encode(value).decode()}
    if kind == "timestamp":
        return {"$timestamp": epoch(value), "format": timestamp_format(shape, protocol).lower()}
    if kind in ("double", "float"):
        return {"$double": value}
    return value


def plain(value):
    """A botocore value as JSON: dates as ISO-8601 (UTC), bytes as base64."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    return value


# ---- requests ----


def wire_request(serialized):
    """The request as the server receives it: method, raw path and query, headers."""
    request_dict = copy.deepcopy(serialized)
    prepare_request_dict(request_dict, ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    url = urllib.parse.urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = {
        name.lower(): (value.decode() if isinstance(value, bytes) else value)
        for name, value in prepared.headers.items()
        if name.lower() != "user-agent"
    }
    return {
        "method": prepared.method,
        "path": url.path,
        "query": url.query,
        "headers": dict(sorted(headers.items())),
        "body_hex": body.hex(),
    }


def request_case(protocol, service, operation, name, params):
    model = service_model(service).operation_model(operation)
    validate_parameters(params, model.input_shape)  # raises on a mistake in the case
    serializer = serialize.create_serializer(
        "smithy-rpc-v2-cbor" if protocol == "cbor" else "rest-json", include_validation=False)
    wire = wire_request(serializer.serialize_to_request(copy.deepcopy(params), model))
    # RPC v2 CBOR puts every member in the body; REST-JSON binds some to the request line
    # and headers, where the server names them by member.
    bound = set() if protocol == "cbor" else {
        n for n, m in model.input_shape.members.items() if m.serialization.get("location")}
    expected = {}
    for member_name, member in model.input_shape.members.items():
        if member_name not in params:
            continue
        is_bound = member_name in bound
        key = member_name if is_bound else member.serialization.get("name", member_name)
        expected[key] = document(member, params[member_name], protocol, bound=is_bound)
    payload = model.input_shape.serialization.get("payload")
    if payload and payload in params and protocol == "rest-json":
        expected[payload] = document(model.input_shape.members[payload], params[payload], protocol)
    return {"name": name, "service": service, "operation": operation, **wire, "expected": expected}


KINDS = {
    "string": "String", "integer": "Integer", "long": "Integer", "short": "Integer",
    "byte": "Integer", "boolean": "Boolean", "timestamp": "Timestamp", "double": "Double",
    "float": "Double", "blob": "Blob", "structure": "Structure",
}
LOCATIONS = {"uri": "Label", "querystring": "Query", "header": "Header", "headers": "HeaderPrefix"}


def route(model):
    """An operation's HTTP binding in the shape of arca-wire's `HttpRoute`."""
    bindings = []
    shape = model.input_shape
    payload = shape.serialization.get("payload") if shape else None
    for name, member in (shape.members.items() if shape else []):
        location = member.serialization.get("location")
        kind = member.type_name
        if name == payload:
            location_name, wire_name = "Payload", name
        elif location is None:
            continue
        elif location == "querystring" and kind == "map":
            location_name, wire_name = "QueryParams", name
        else:
            location_name = LOCATIONS[location]
            wire_name = member.serialization.get("name", name)
        if kind == "list":
            kind_name = {"integer": "IntegerList", "long": "IntegerList"}.get(
                member.member.type_name, "StringList")
        elif kind == "map":
            kind_name = "String"
        else:
            kind_name = KINDS[kind]
        bindings.append({"location": location_name, "wire_name": wire_name, "member": name,
                         "kind": kind_name})
    return {
        "operation": model.name,
        "method": model.http["method"],
        "uri": model.http["requestUri"],
        "status": model.http.get("responseCode", 200),
        "bindings": bindings,
    }


def answer_case(protocol, service, operation, name, output):
    model = service_model(service).operation_model(operation)
    validate_parameters(output, model.output_shape)
    return {
        "name": name, "protocol": protocol, "service": service, "operation": operation,
        "output": typed(model.output_shape, output, protocol),
        "expected": plain(output),
    }


def write(name, value):
    path = FIXTURES / name
    path.write_text(json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def generate():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    acm = service_model("acm-pca")
    assert "smithy-rpc-v2-cbor" in acm.metadata["protocols"], acm.metadata["protocols"]
    write("rpcv2cbor-requests.json", {
        "botocore": botocore.__version__,
        "cases": [request_case("cbor", *case) for case in CBOR_REQUESTS],
        "malformed": [{"name": n, "body_hex": b} for n, b in sorted(CBOR_MALFORMED.items())],
    })
    routes = {}
    for service in ("macie2", "arcatest"):
        model = service_model(service)
        routes[service] = [route(model.operation_model(op)) for op in sorted(model.operation_names)]
    write("restjson-requests.json", {
        "botocore": botocore.__version__,
        "routes": routes,
        "cases": [request_case("rest-json", *case) for case in REST_REQUESTS],
        "malformed": [
            {"name": n, "operation": op, "method": m, "path": p, "query": q,
             "body_hex": b.hex(), "code": c}
            for n, op, m, p, q, b, c in REST_MALFORMED
        ],
    })
    write("answers.json", {
        "botocore": botocore.__version__,
        "answers": [answer_case("cbor", *case) for case in CBOR_ANSWERS]
        + [answer_case("rest-json", *case) for case in REST_ANSWERS],
        "errors": [{"name": n, "code": c, "status": s, "message": m} for n, c, s, m in ERRORS],
    })


# ---- checking Arca's answers ----


def check():
    encoded = json.loads((FIXTURES / "answers-encoded.json").read_text())
    failures = 0
    for answer in encoded["answers"]:
        protocol = answer["protocol"]
        parser = parsers.create_parser("smithy-rpc-v2-cbor" if protocol == "cbor" else "rest-json")
        model = service_model(answer["service"]).operation_model(answer["operation"])
        response = {
            "status_code": answer["status"],
            "headers": botocore.awsrequest.HeadersDict(answer["headers"]),
            "body": bytes.fromhex(answer["body_hex"]),
        }
        parsed = parser.parse(response, model.output_shape)
        if "Error" in parsed:
            got = {"code": parsed["Error"].get("Code"), "message": parsed["Error"].get("Message")}
        else:
            got = plain(parsed)
        if got != answer["expected"]:
            failures += 1
            print(f"MISMATCH {protocol} {answer['name']}:\n  got      {got}\n  expected {answer['expected']}")
        else:
            print(f"ok {protocol} {answer['name']}")
    if failures:
        sys.exit(f"{failures} answers differ from what botocore parses")
    print(f"{len(encoded['answers'])} answers parse as expected in botocore {botocore.__version__}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        check()
    elif not sys.argv[1:]:
        generate()
    else:
        sys.exit(__doc__)
