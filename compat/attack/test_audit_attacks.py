"""The audit log against crashes and against someone who can edit the audit directory:
a crash right after a rotation, a torn final line, a removed tail (caught by the signed
digests), removed digests, and owner-only file modes.

Each test runs its own server with a configuration file (the audit log in its own
directory, small files or a short digest interval where a test needs them), stops it
gracefully or kills it as a crash would, changes the files, and asks `arca audit verify`
and a restarted server what they make of it.
"""
import json
import signal
import stat
import subprocess
import time
import urllib.request

from arca_harness import ArcaServer, arca_bin

LIVE = "audit.jsonl"
DIGESTS = "audit.digests.jsonl"
PUBLIC_KEY = "audit.digest-key.pem"


class AuditServer(ArcaServer):
    """An `arca server --config` whose audit log lives in ROOT/audit."""

    def __init__(self, root, max_file_bytes=64 << 20, digest_interval_seconds=300):
        super().__init__(root / "data", server_config=root / "arca.toml")
        self.audit_dir = root / "audit"
        self.server_config.write_text(
            f'[server]\ndata_dir = "{self.data_dir}"\n'
            f'[audit]\ndir = "{self.audit_dir}"\nmax_file_bytes = {max_file_bytes}\n'
            f"digest_interval_seconds = {digest_interval_seconds}\n"
        )

    def crash(self):
        self.stop(signal.SIGKILL)

    def chain_files(self):
        return sorted(self.audit_dir.glob("audit-*.jsonl")) + [self.audit_dir / LIVE]

    def verify(self, *extra):
        return subprocess.run(
            [arca_bin(), "audit", "verify", *map(str, self.chain_files()), "--data-dir", str(self.data_dir), *extra],
            capture_output=True, text=True,
        )

    def records(self):
        return [json.loads(line) for path in self.chain_files() for line in path.read_text().splitlines()]

    def digests(self):
        return [json.loads(line) for line in (self.audit_dir / DIGESTS).read_text().splitlines()]


def use_kms(server, calls=3):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for n in range(calls):
        kms.encrypt(KeyId=key, Plaintext=f"secret {n}".encode())
    return kms


def drop_last_line(path):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))
    return lines[-1]


def test_a_removed_tail_is_caught_by_the_digest_written_at_shutdown(tmp_path):
    server = AuditServer(tmp_path).start()
    use_kms(server)
    server.stop()  # SIGTERM: a clean shutdown signs the final head
    last = server.records()[-1]
    assert server.digests()[-1]["reason"] == "shutdown"
    assert server.digests()[-1]["sequence"] == last["sequence"]
    result = server.verify()
    assert result.returncode == 0, result.stdout + result.stderr

    drop_last_line(server.audit_dir / LIVE)
    result = server.verify()
    assert result.returncode == 1
    assert (f"covers sequence {last['sequence']} but the log ends at sequence {last['sequence'] - 1}"
            in result.stdout), result.stdout
    assert result.stdout.startswith("tail removed: digest"), result.stdout

    # Removing the digest that covered it as well is caught by the store's copies of
    # the last digest and of the chain head.
    drop_last_line(server.audit_dir / DIGESTS)
    result = server.verify()
    assert result.returncode == 1
    assert "digests removed" in result.stdout and "cut off the tail" in result.stdout, result.stdout


def test_a_crash_loses_at_most_what_came_after_the_last_periodic_digest(tmp_path):
    server = AuditServer(tmp_path, digest_interval_seconds=1).start()
    use_kms(server)
    deadline = time.time() + 10
    while not (server.audit_dir / DIGESTS).read_text() and time.time() < deadline:
        time.sleep(0.1)
    server.crash()
    digest = server.digests()[-1]
    assert digest["reason"] == "interval"
    assert digest["sequence"] == server.records()[-1]["sequence"]

    drop_last_line(server.audit_dir / LIVE)
    result = server.verify()
    assert result.returncode == 1
    assert f"tail removed: digest {digest['number']} at {digest['time']}" in result.stdout, result.stdout


def test_a_forged_digest_is_reported(tmp_path):
    server = AuditServer(tmp_path).start()
    use_kms(server)
    server.stop()
    path = server.audit_dir / DIGESTS
    digest = json.loads(path.read_text().splitlines()[-1])
    # Pretend the log ended earlier, so a cut tail would pass: the signature refuses.
    digest["sequence"] -= 1
    path.write_text(json.dumps(digest, separators=(",", ":"), sort_keys=True) + "\n")
    drop_last_line(server.audit_dir / LIVE)
    result = server.verify()
    assert result.returncode == 1
    assert "the signature does not verify" in result.stdout, result.stdout


def test_a_torn_final_line_is_quarantined_and_the_server_restarts(tmp_path):
    server = AuditServer(tmp_path).start()
    use_kms(server)
    server.crash()
    torn = b'{"eventVersion":"1.08","userIdentity":{"type":"Ro'
    with open(server.audit_dir / LIVE, "ab") as live:
        live.write(torn)
    lines = len((server.audit_dir / LIVE).read_bytes().split(b"\n"))

    result = server.verify()
    assert result.returncode == 1
    assert f"line {lines}: torn final line (an incomplete write, e.g. a crash)" in result.stdout, result.stdout
    assert "not a JSON object" not in result.stdout

    server.start()  # it used to refuse: "audit log write failed: EOF while parsing"
    use_kms(server, calls=1)
    server.stop()
    quarantined = list(server.audit_dir.glob("audit.torn-*.jsonl"))
    assert len(quarantined) == 1
    assert quarantined[0].read_bytes() == torn
    notice = next(r for r in server.records() if r["eventName"] == "AuditTornTailQuarantined")
    assert notice["additionalEventData"]["quarantineFile"] == quarantined[0].name
    assert notice["additionalEventData"]["tornBytes"] == len(torn)
    result = server.verify()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_crash_right_after_a_rotation_overwrites_nothing(tmp_path):
    # Every batch fills a file: each request's event is rotated out at once, so a kill
    # lands just after a rotation with an empty live file.
    server = AuditServer(tmp_path, max_file_bytes=1).start()
    use_kms(server)
    deadline = time.time() + 5
    while (server.audit_dir / LIVE).read_text() and time.time() < deadline:
        time.sleep(0.01)  # the rotation follows the acknowledgement
    server.crash()
    assert (server.audit_dir / LIVE).read_text() == ""
    rotated = {path.name: path.read_bytes() for path in server.audit_dir.glob("audit-*.jsonl")}
    assert len(rotated) >= 4
    last = max(json.loads(data.splitlines()[-1])["sequence"] for data in rotated.values())

    server.start()
    use_kms(server)
    server.crash()
    for name, data in rotated.items():
        assert (server.audit_dir / name).read_bytes() == data, f"{name} was overwritten"
    sequences = [record["sequence"] for record in server.records()]
    assert sequences == list(range(1, len(sequences) + 1)) and sequences[-1] > last
    result = server.verify()
    assert result.returncode == 0, result.stdout + result.stderr


def test_audit_files_are_owner_only(tmp_path):
    server = AuditServer(tmp_path, max_file_bytes=4096).start()
    use_kms(server, calls=8)
    server.crash()
    with open(server.audit_dir / LIVE, "ab") as live:
        live.write(b'{"torn')
    server.start()
    server.stop()
    assert stat.S_IMODE(server.audit_dir.stat().st_mode) == 0o700
    names = set()
    for path in server.audit_dir.iterdir():
        names.add(path.name)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert {LIVE, DIGESTS, PUBLIC_KEY} <= names
    assert any(name.startswith("audit-") for name in names)
    assert any(name.startswith("audit.torn-") for name in names)
