"""`arca scan s3://...` against a real S3 API server (moto's)."""
import gzip

import boto3
import pytest


@pytest.fixture
def bucket(s3_endpoint):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    name = "arca-scan-test"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="hr/people.csv", Body=b"name,ssn\nAlice,536-22-8726\n")
    s3.put_object(Bucket=name, Key="hr/clean.txt", Body=b"nothing here\n")
    s3.put_object(Bucket=name, Key="logs/app.log.gz", Body=gzip.compress(b"ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg\n"))
    s3.put_object(Bucket=name, Key="big/blob.txt", Body=b"ssn 536-22-8726\n" + b"x" * 10000)
    yield name
    for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}


def test_bucket_scan(scan, s3_endpoint, bucket):
    result = scan(f"s3://{bucket}", "--format", "json", "--endpoint-url", s3_endpoint, env=ENV)
    assert result.code == 1, result.stderr
    by_key = {f["resourcesAffected"]["s3Object"]["key"]: f for f in result.findings()}
    assert sorted(by_key) == ["big/blob.txt", "hr/people.csv", "logs/app.log.gz"]
    people = by_key["hr/people.csv"]
    assert people["resourcesAffected"]["s3Bucket"]["name"] == bucket
    assert people["resourcesAffected"]["s3Object"]["bucketArn"] == f"arn:aws:s3:::{bucket}"
    assert people["resourcesAffected"]["s3Object"]["eTag"]
    assert by_key["logs/app.log.gz"]["type"] == "SensitiveData:S3Object/Credentials"
    assert result.summary()["objectsScanned"] == 4


def test_prefix_size_and_sampling(scan, s3_endpoint, bucket):
    result = scan(f"s3://{bucket}/hr/", "--format", "json", "--endpoint-url", s3_endpoint, env=ENV)
    assert [f["resourcesAffected"]["s3Object"]["key"] for f in result.findings()] == ["hr/people.csv"]
    assert result.summary()["objectsScanned"] == 2
    small = scan(f"s3://{bucket}", "--format", "json", "--endpoint-url", s3_endpoint, "--max-size", "1000", env=ENV)
    assert "big/blob.txt" not in {f["resourcesAffected"]["s3Object"]["key"] for f in small.findings()}
    excluded = scan(f"s3://{bucket}", "--format", "json", "--endpoint-url", s3_endpoint, "--exclude", "*.gz", env=ENV)
    assert excluded.summary()["objectsScanned"] == 3
    sampled = scan(f"s3://{bucket}", "--format", "json", "--endpoint-url", s3_endpoint, "--sampling-percentage", "1", env=ENV)
    assert sampled.summary()["objectsScanned"] < 4


def test_missing_bucket_is_an_error(scan, s3_endpoint):
    result = scan("s3://no-such-bucket", "--endpoint-url", s3_endpoint, env=ENV)
    assert result.code == 2


def test_large_object_streams_through_the_scanner(scan, s3_endpoint, bucket):
    # Over the size fetched whole (8 MiB), the object is read a network chunk at a time;
    # findings at both ends and the line numbers between them must come out the same.
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    filler = b"an ordinary line of application log output\n" * 250_000
    body = b"token ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg\n" + filler + b"ssn: 536-22-8726\n"
    assert len(body) > 8 << 20
    s3.put_object(Bucket=bucket, Key="large/app.log", Body=body)
    result = scan(f"s3://{bucket}/large/", "--format", "json", "--endpoint-url", s3_endpoint, env=ENV)
    assert result.code == 1, result.stderr
    [finding] = result.findings()
    details = finding["classificationDetails"]["result"]
    assert details["sizeClassified"] == len(body)
    detections = {d["type"]: d for c in details["sensitiveData"] for d in c["detections"]}
    assert detections["GITHUB_TOKEN"]["occurrences"]["lineRanges"][0]["start"] == 1
    ssn = detections["USA_SOCIAL_SECURITY_NUMBER"]["occurrences"]["lineRanges"][0]
    assert ssn["start"] == 250_002
