"""Things that happen over time or across restarts: deletion and rotation jobs (with
the test-only clock), persistence, root key rotation, the audit chain, metrics."""
import json
import shutil
import signal
import subprocess
import urllib.request

import botocore.exceptions
import pytest

from arca_admin import admin_call
from arca_harness import ArcaServer, arca_bin

DAY = 86_400


@pytest.fixture()
def fresh(tmp_path):
    instance = ArcaServer(tmp_path / "data", ["--danger-clock-offset", "0"]).start()
    yield instance
    instance.stop()


def test_scheduled_deletion_really_deletes(fresh):
    kms = fresh.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    fresh.advance_clock(6 * DAY)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    fresh.advance_clock(DAY + 60)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kms.describe_key(KeyId=key["KeyId"])
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"
    assert "alias/doomed" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert key["KeyId"] not in [k["KeyId"] for k in kms.list_keys()["Keys"]]


def test_cancelled_deletion_survives_the_due_date(fresh):
    kms = fresh.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    fresh.advance_clock(8 * DAY)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_automatic_rotation_runs_when_due(fresh):
    kms = fresh.client("kms")
    key = kms.create_key()["KeyMetadata"]
    old_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before rotation")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    fresh.advance_clock(91 * DAY)
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    fresh.advance_clock(91 * DAY)
    assert len(kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]) == 2
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before rotation"


def test_clock_control_needs_the_danger_flag(tmp_path):
    server = ArcaServer(tmp_path / "safe").start()
    try:
        answer = admin_call(server, "AdvanceClock", {"Seconds": 10})
        assert answer["error"]["__type"] == "UnsupportedOperationException"
    finally:
        server.stop()


def test_data_and_credentials_survive_restart(tmp_path):
    server = ArcaServer(tmp_path / "restart").start()
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"durable", EncryptionContext={"a": "b"})["CiphertextBlob"]
    credentials = server.credentials_file.read_text()
    server.stop()
    assert oct(server.credentials_file.stat().st_mode & 0o777) == "0o600"
    server.start()
    try:
        assert server.credentials_file.read_text() == credentials
        kms = server.client("kms")
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"durable"
    finally:
        server.stop()


def test_root_key_rotation_rewraps_everything(tmp_path):
    server = ArcaServer(tmp_path / "rootrot").start()
    try:
        kms = server.client("kms")
        key = kms.create_key()["KeyMetadata"]
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"keep me")["CiphertextBlob"]
        result = server.arca("admin", "rotate-root-key")
        answer = json.loads(result.stdout)
        assert answer["RootKeyVersion"] == 2 and answer["RetiredRootKeys"] == 1
        assert answer["RewrappedKeyVersions"] >= 1 and answer["RewrappedAccessKeys"] >= 1
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"keep me"
        server.stop()
        server.start()
        assert server.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"keep me"
    finally:
        server.stop()


def test_audit_log_chain(tmp_path):
    server = ArcaServer(tmp_path / "audit").start()
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"TOP-SECRET-PLAINTEXT", EncryptionContext={"ctx": "visible"})
    with pytest.raises(botocore.exceptions.ClientError):
        kms.describe_key(KeyId="alias/missing")
    server.stop()
    log = server.data_dir / "audit.jsonl"
    lines = log.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    encrypt = next(e for e in events if e["eventName"] == "Encrypt")
    assert encrypt["eventSource"] == "kms.amazonaws.com"
    assert encrypt["requestParameters"]["encryptionContext"] == {"ctx": "visible"}
    assert any(e.get("errorCode") == "NotFoundException" for e in events)
    text = log.read_text()
    assert "TOP-SECRET" not in text and "VE9QLVNFQ1JFV" not in text
    _, secret = server.root_credentials()
    assert secret not in text

    verify = [arca_bin(), "audit", "verify"]
    assert subprocess.run([*verify, str(log), "--data-dir", str(server.data_dir)]).returncode == 0

    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(lines[:1] + [lines[1].replace("Encrypt", "Decrypt")] + lines[2:]) + "\n")
    result = subprocess.run([*verify, str(changed)], capture_output=True, text=True)
    assert result.returncode != 0 and result.stdout.startswith("line 2:")

    removed = tmp_path / "removed.jsonl"
    removed.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    result = subprocess.run([*verify, str(removed)], capture_output=True, text=True)
    assert result.returncode != 0 and "line 2:" in result.stdout

    reordered = tmp_path / "reordered.jsonl"
    reordered.write_text("\n".join([lines[1], lines[0]] + lines[2:]) + "\n")
    assert subprocess.run([*verify, str(reordered)], capture_output=True).returncode != 0

    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-1]) + "\n")
    assert subprocess.run([*verify, str(cut)], capture_output=True).returncode == 0
    result = subprocess.run([*verify, str(cut), "--data-dir", str(server.data_dir)], capture_output=True, text=True)
    assert result.returncode != 0 and "cut off" in result.stdout


def test_audit_log_rotates_and_chain_continues(tmp_path):
    data_dir = tmp_path / "rot"
    data_dir.mkdir()
    config = tmp_path / "arca.toml"
    config.write_text(f'[server]\ndata_dir = "{data_dir}"\n[audit]\nmax_file_bytes = 4096\n')
    server = ArcaServer(data_dir)
    server.extra_args = []
    port = server.port
    process = subprocess.Popen([arca_bin(), "server", "--config", str(config), "--listen", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server.process = process
    import time
    for _ in range(300):
        try:
            urllib.request.urlopen(server.endpoint + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    kms = server.client("kms")
    for _ in range(30):
        kms.list_keys()
    server.stop()
    files = sorted(data_dir.glob("audit-*.jsonl")) + [data_dir / "audit.jsonl"]
    assert len(files) >= 3
    result = subprocess.run([arca_bin(), "audit", "verify", *map(str, files), "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    # With no files named, --data-dir checks every file there in chain order.
    result = subprocess.run([arca_bin(), "audit", "verify", "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # ... and finds a removed rotated file, as when the files are named.
    files[1].unlink()
    result = subprocess.run([arca_bin(), "audit", "verify", "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr


def test_the_readme_audit_check_works_on_a_fresh_server(tmp_path):
    # Before any rotation there is only audit.jsonl: no audit-*.jsonl for a shell glob.
    data_dir = tmp_path / "fresh"
    server = ArcaServer(data_dir).start()
    server.client("kms").list_keys()
    server.stop()
    result = subprocess.run([arca_bin(), "audit", "verify", "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run([arca_bin(), "audit", "verify", "--data-dir", str(empty)], capture_output=True, text=True)
    assert result.returncode != 0 and "no audit log files" in result.stderr


def test_metrics_and_graceful_shutdown(tmp_path):
    server = ArcaServer(tmp_path / "metrics").start()
    kms = server.client("kms")
    kms.list_keys()
    with pytest.raises(botocore.exceptions.ClientError):
        kms.describe_key(KeyId="alias/nope")
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'arca_requests_total{service="kms",operation="ListKeys",code=""}' in text
    assert 'arca_request_errors_total{service="kms",operation="DescribeKey",code="NotFoundException"} 1' in text
    assert "arca_request_duration_seconds_bucket" in text
    server.stop(signal.SIGTERM)
    assert server.process.returncode == 0


def test_dev_with_a_config_file_takes_the_file_over_the_dev_defaults(tmp_path):
    config = tmp_path / "arca.toml"
    config.write_text('[server]\nregions = ["us-east-1", "eu-west-3"]\n')
    server = ArcaServer(tmp_path / "data", server_config=config).start()
    try:
        # A region only the file adds is served; the dev defaults fill in the rest.
        assert server.client("sts", region="eu-west-3").get_caller_identity()["Account"]
    finally:
        server.stop()


def test_an_unknown_key_is_refused_with_its_name_and_line(tmp_path):
    config = tmp_path / "arca.toml"
    config.write_text('[server]\nregions = ["us-east-1"]\nlisten_on = "x"\n')
    result = subprocess.run([arca_bin(), "server", "--dev", "--config", str(config),
                             "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "listen_on" in result.stderr and "line 3" in result.stderr, result.stderr


def _start_refused(tmp_path, text):
    config = tmp_path / "arca.toml"
    config.write_text(text)
    result = subprocess.run([arca_bin(), "server", "--dev", "--config", str(config),
                             "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    return result.stderr


def test_a_service_section_is_read_and_checked_by_its_service(tmp_path):
    # The [kms] section belongs to the KMS service: its keys are checked there.
    stderr = _start_refused(tmp_path, '[server]\nregions = ["us-east-1"]\n\n[kms]\ncache_ttl = 5\n')
    assert "cache_ttl" in stderr and "line 5" in stderr, stderr
    stderr = _start_refused(tmp_path, "[kms]\ncache_ttl_seconds = 0\n")
    assert "[kms]: cache_ttl_seconds must be between 1 and 3600" in stderr, stderr
    # A section no service declared is refused, not ignored.
    stderr = _start_refused(tmp_path, "[log]\nlevel = \"info\"\n[secretsmanager]\nx = 1\n")
    assert "unknown section `secretsmanager` at line 3" in stderr, stderr
    config = tmp_path / "ok.toml"
    config.write_text("[kms]\ncache_ttl_seconds = 5\nalias_cache_capacity = 100\n")
    server = ArcaServer(tmp_path / "data-ok", server_config=config).start()
    try:
        assert "KeyMetadata" in server.client("kms").create_key()
    finally:
        server.stop()
