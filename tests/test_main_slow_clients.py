"""Slow clients do not freeze the real servers (issue 12).

`undersigned serve` and `undersigned demo` run in subprocesses on 127.0.0.1. One client address
(127.0.0.7) opens 200 connections and then sends nothing, or only the start of a request; a
request from another address (127.0.0.8) must still be answered within a second.
"""

from __future__ import annotations

import resource
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.support import processes

CROWD = "127.0.0.7"  # the slow clients' address
VISITOR = "127.0.0.8"  # everyone else
CONNECTIONS = 200
# A request head that never ends: the blank line that would close it never comes.
PARTIAL_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture(autouse=True)
def _enough_file_descriptors() -> Iterator[None]:
    """Room for the crowd's sockets here and in the server (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * CONNECTIONS + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"the file-descriptor limit ({hard}) is too low for {CONNECTIONS} sockets")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _get(port: int, path: str, *, timeout: float) -> tuple[int, float]:
    """One request from VISITOR: the status answered (0 for none) and how long it took."""
    started = time.monotonic()
    raw = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    answer = b""
    with socket.socket() as client:
        client.settimeout(timeout)
        client.bind((VISITOR, 0))
        try:
            client.connect(("127.0.0.1", port))
            client.sendall(raw)
            while len(answer) < 65536 and (chunk := client.recv(4096)):
                answer += chunk
        except OSError:
            pass  # a timeout: no answer in time
    elapsed = time.monotonic() - started
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, elapsed


def _wait_for_health(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if _get(port, "/healthz", timeout=10)[0] == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz")


@contextmanager
def _crowd(port: int, *, trickle: bool) -> Iterator[list[socket.socket]]:
    """CONNECTIONS sockets from CROWD, left silent or with a request head that never ends."""
    with ExitStack() as stack:
        sockets = []
        for _ in range(CONNECTIONS):
            client = stack.enter_context(socket.socket())
            client.settimeout(5)
            client.bind((CROWD, 0))
            client.connect(("127.0.0.1", port))
            sockets.append(client)
        if trickle:
            # Byte by byte at first, the way a slowloris client starts, then the rest of a head
            # that never ends.
            for byte in PARTIAL_HEAD[:3]:
                for client in sockets:
                    client.sendall(bytes([byte]))
                time.sleep(0.2)
            for client in sockets:
                client.sendall(PARTIAL_HEAD[3:])
        yield sockets


def _delays(port: int, *, trickle: bool) -> list[tuple[int, float]]:
    """Two visitors' requests while the crowd holds its connections: right after the crowd
    came, and a few seconds later (when a server that waits for each connection's first bytes
    for a while would be busiest); each as (status, seconds it took)."""
    with _crowd(port, trickle=trickle):
        time.sleep(1)  # the server has accepted the crowd by now
        results = []
        for pause in (0, 5):
            time.sleep(pause)
            status, elapsed = _get(port, "/healthz", timeout=10)
            results.append((status, elapsed))
    return results


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trickle", [False, True], ids=["idle", "slowloris"])
def test_serve_answers_while_slow_clients_hold_connections(trickle: bool) -> None:
    port = processes.free_port()
    server = processes.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2")
    try:
        _wait_for_health(port, server)
        delays = _delays(port, trickle=trickle)
        after = _get(port, "/healthz", timeout=10)[0]
    finally:
        output = processes.stop(server, signal.SIGTERM, 30, then_kill=True)

    answered = [(status, elapsed < 1.0) for status, elapsed in delays]
    assert (answered, after) == ([(200, True), (200, True)], 200), (delays, output)


@pytest.mark.slow
@pytest.mark.parametrize("trickle", [False, True], ids=["idle", "slowloris"])
def test_demo_answers_while_slow_clients_hold_connections(tmp_path: Path, trickle: bool) -> None:
    port = processes.free_port()
    demo = processes.start_demo(port, tmp_path / "data")
    try:
        _wait_for_health(port, demo)
        delays = _delays(port, trickle=trickle)
        after = _get(port, "/healthz", timeout=10)[0]
    finally:
        output = processes.stop(demo, signal.SIGTERM, 30, then_kill=True)

    answered = [(status, elapsed < 1.0) for status, elapsed in delays]
    assert (answered, after) == ([(200, True), (200, True)], 200), (delays, output)
