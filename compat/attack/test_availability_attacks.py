"""Availability attacks on the connection layer, and who can read the data files.

A server with small limits (header timeout 2 s, idle timeout 3 s, 8 connections) is
started from a `--config` file; each test plays a client that holds a connection
without finishing its request and checks that the server lets go within the limit,
and that idle sockets cannot lock other clients out of `/health`.
"""
import os
import pathlib
import select
import socket
import stat
import subprocess
import time
import urllib.request

import pytest

from arca_harness import ArcaServer, arca_bin

HEADER_TIMEOUT = 2
IDLE_TIMEOUT = 3
MAX_CONNECTIONS = 8
# Scheduling slack on a loaded test machine.
SLACK = 1.5


class ConfiguredServer(ArcaServer):
    """`arca server --config FILE` (the harness's `--dev` refuses a config file)."""

    def __init__(self, data_dir, config_text):
        super().__init__(data_dir, server_config=data_dir.parent / f"{data_dir.name}.toml")
        self.server_config.write_text(config_text)


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    config = f"""
[server]
header_timeout_seconds = {HEADER_TIMEOUT}
idle_timeout_seconds = {IDLE_TIMEOUT}
max_connections = {MAX_CONNECTIONS}
"""
    instance = ConfiguredServer(tmp_path_factory.mktemp("limited") / "data", config).start()
    yield instance
    instance.stop()


def connect(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def is_closed(sock, wait):
    """True once the server has closed `sock` (EOF or reset), waiting up to `wait` seconds.
    Whatever the server answers before closing (e.g. a 400 or 408) is read and ignored."""
    deadline = time.monotonic() + wait
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            return False
        try:
            if sock.recv(65536) == b"":
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True


def closed_after(sock, limit):
    """Seconds until the server closed `sock`, failing if it is still open after `limit`."""
    started = time.monotonic()
    assert is_closed(sock, limit), f"still open after {limit:.1f} s"
    return time.monotonic() - started


def health(server, timeout):
    with urllib.request.urlopen(f"{server.endpoint}/health", timeout=timeout) as response:
        return response.status


def test_a_partial_request_line_is_dropped_at_the_header_timeout(limited):
    sock = connect(limited)
    try:
        sock.sendall(b"POST / HT")
        elapsed = closed_after(sock, HEADER_TIMEOUT + SLACK)
        # The header timeout, not the (longer) idle timeout, ended it.
        assert elapsed < IDLE_TIMEOUT
    finally:
        sock.close()


def test_headers_trickled_byte_by_byte_are_dropped_at_the_header_timeout(limited):
    """Bytes keep arriving (so the idle timeout never fires), but the headers never end."""
    sock = connect(limited)
    started = time.monotonic()
    try:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: arca\r\n")
        closed = False
        while time.monotonic() - started < HEADER_TIMEOUT + SLACK:
            try:
                sock.sendall(b"X-Slow: a\r\n")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if is_closed(sock, 0.4):
                closed = True
                break
        assert closed, "slow headers were still being accepted after the header timeout"
        assert time.monotonic() - started >= HEADER_TIMEOUT - 0.5
    finally:
        sock.close()


def test_a_silent_socket_is_closed_at_the_idle_timeout(limited):
    sock = connect(limited)
    try:
        elapsed = closed_after(sock, IDLE_TIMEOUT + SLACK)
        assert elapsed >= IDLE_TIMEOUT - 0.5
    finally:
        sock.close()


def test_a_stalled_body_is_closed_at_the_idle_timeout(limited):
    sock = connect(limited)
    try:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: arca\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     b"X-Amz-Target: TrentService.ListKeys\r\nContent-Length: 1000\r\n\r\n{\"Limit\":")
        closed_after(sock, IDLE_TIMEOUT + SLACK)
    finally:
        sock.close()


def test_an_idle_keep_alive_connection_is_closed(limited):
    sock = connect(limited)
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: arca\r\n\r\n")
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        closed_after(sock, max(HEADER_TIMEOUT, IDLE_TIMEOUT) + SLACK)
    finally:
        sock.close()


def test_idle_sockets_cannot_lock_out_health(limited):
    """Far more idle sockets than connection slots: the oldest idle ones are closed to
    make room, and a new client's /health answers at once, not after the idle timeout."""
    sockets = [connect(limited) for _ in range(50)]
    try:
        time.sleep(0.3)
        started = time.monotonic()
        assert health(limited, timeout=IDLE_TIMEOUT) == 200
        assert time.monotonic() - started < IDLE_TIMEOUT - 1
        # Most of the idle sockets were let go to make room, long before the idle timeout.
        closed = sum(1 for sock in sockets if is_closed(sock, 0.05))
        assert closed >= 50 - MAX_CONNECTIONS, f"only {closed} of 50 idle sockets were closed"
    finally:
        for sock in sockets:
            sock.close()


def test_a_connection_with_a_request_in_progress_is_not_evicted(limited):
    """A client whose request is being answered keeps its connection (and gets its answer)
    while others flood the server with idle sockets."""
    sock = connect(limited)
    flood = []
    try:
        # Headers complete, so the request is in progress while its body trickles in.
        body = b'{"Limit": 1}'
        sock.sendall(b"POST / HTTP/1.1\r\nHost: arca\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     b"X-Amz-Target: TrentService.ListKeys\r\nContent-Length: " + str(len(body)).encode()
                     + b"\r\n\r\n" + body[:2])
        time.sleep(0.3)
        flood = [connect(limited) for _ in range(3 * MAX_CONNECTIONS)]
        time.sleep(0.5)
        sock.sendall(body[2:])
        sock.settimeout(5)
        answer = sock.recv(65536)
        # Unsigned, so refused: what matters is that an HTTP answer came on this connection.
        assert answer.startswith(b"HTTP/1.1 4"), answer
    finally:
        sock.close()
        for other in flood:
            other.close()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_files_are_readable_by_their_owner_only(server):
    """The session's `--dev` server: the store (with its WAL and shared-memory files), the
    key file and the bootstrap credentials are 0600, the data directory 0700."""
    server.client("kms").list_keys()
    data_dir = pathlib.Path(server.data_dir)
    assert mode(data_dir) == 0o700, oct(mode(data_dir))
    for name in ["arca.db", "arca.db-wal", "arca.db-shm", "root.key", "credentials", "config"]:
        path = data_dir / name
        assert path.exists(), name
        assert mode(path) == 0o600, f"{name}: {oct(mode(path))}"
