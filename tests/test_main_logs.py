"""What the real servers write: no client address and no token, whatever a client sends.

`undersigned serve` (gunicorn) and `undersigned demo` (waitress) run in subprocesses; a client
socket bound to a loopback address used nowhere else sends malformed requests, requests with a
bad Host and POSTs without CSRF cookie to every URL that carries a token. Then everything the
process printed is searched for that address and that token.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import processes

SOURCE = "127.0.0.9"  # the client's address: nothing else on this machine uses it
TOKEN = "tokencanary7d1e0c5b9a"
TOKEN_PATHS = [
    f"/c/{TOKEN}/",
    f"/l/demo/sign/reconfirm/{TOKEN}/",
    f"/l/demo/unsubscribe/{TOKEN}/",
    f"/accounts/invitations/{TOKEN}/",
    f"/accounts/password-reset/MQ/{TOKEN}/",
    f"/l/demo/sign/code/?token={TOKEN}",
]
CONFIRM = TOKEN_PATHS[0]


UNFILTERED_HANDLERS = """
import logging
from undersigned.common.logs import RedactFilter
loggers = [logging.root, *logging.root.manager.loggerDict.values()]
print(sorted(
    f"{getattr(logger, 'name', '?')}: {type(handler).__name__}"
    for logger in loggers
    for handler in getattr(logger, "handlers", [])
    if not any(isinstance(f, RedactFilter) for f in handler.filters)
))
print(len([h for logger in loggers for h in getattr(logger, "handlers", [])]))
"""


def test_every_configured_log_handler_redacts() -> None:
    result = processes.run("shell", "-c", UNFILTERED_HANDLERS)
    unfiltered, handlers = result.stdout.splitlines()[-2:]

    # At least the console exists, and no handler of any logger writes without the filter.
    assert (unfiltered, int(handlers) >= 1) == ("[]", True), result.stderr


def _send(port: int, raw: bytes) -> int:
    """One request from SOURCE; the status the server answered (0 if it just closed)."""
    with socket.socket() as client:
        client.settimeout(10)
        client.bind((SOURCE, 0))
        client.connect(("127.0.0.1", port))
        client.sendall(raw)
        answer = b""
        while len(answer) < 65536 and (chunk := client.recv(4096)):
            answer += chunk
    status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/") else b"0"
    return int(status)


def _request(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", *headers, "Connection: close", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _wait_for_health(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if _send(port, _request("GET", "/healthz", "Host: 127.0.0.1")) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz")


def _hostile_requests(port: int, *, malformed: list[bytes]) -> list[int]:
    good_host = "Host: 127.0.0.1"
    requests = [
        *malformed,
        _request("POST", CONFIRM, f"Host: {TOKEN}.invalid"),
        _request("GET", CONFIRM, f"Host: {SOURCE}"),
        *(_request("POST", path, good_host) for path in TOKEN_PATHS),
    ]
    return [_send(port, raw) for raw in requests]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_serve_logs_no_client_address_or_token() -> None:
    # The error pages' stylesheet must be there, or a 400 becomes a 500 with a traceback.
    assert processes.run("collectstatic", "--noinput", "--verbosity", "0").returncode == 0
    port = processes.free_port()
    server = processes.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    try:
        _wait_for_health(port, server)
        statuses = _hostile_requests(
            port,
            malformed=[
                f"GET {CONFIRM} HTTP/1.1 junk\r\n\r\n".encode(),
                f"GET {CONFIRM} HTTP/1.1\r\nBad Header {TOKEN}\r\n\r\n".encode(),
                f"GET {CONFIRM} HTTP/1.1\r\nX-Big: {'a' * 9000}{TOKEN}\r\n\r\n".encode(),
            ],
        )
    finally:
        output = processes.stop(server, signal.SIGINT, 30, then_kill=True)

    # The requests were answered, and the lines they cause are in what was captured. The
    # workers parse requests with waitress (common/webserver.py), which answers a malformed
    # one without a line; gunicorn's own workers wrote "Invalid request from ip=...".
    assert statuses == [400, 400, 431, 400, 400, 403, 403, 404, 403, 403, 403], (statuses, output)
    assert (output.count("Invalid request"), output.count("Forbidden (CSRF cookie not set.)")) == (
        0,
        5,
    ), output
    assert (SOURCE in output, TOKEN in output) == (False, False), output


@pytest.mark.slow
def test_demo_logs_no_client_address_or_token(tmp_path: Path) -> None:
    port = processes.free_port()
    demo = processes.start_demo(port, tmp_path / "data")
    try:
        _wait_for_health(port, demo)
        statuses = _hostile_requests(
            port,
            malformed=[
                f"GET {CONFIRM} HTTP/1.1 junk\r\n\r\n".encode(),
                f"GET {CONFIRM} HTTP/1.1\r\nBad Header {TOKEN}\r\n\r\n".encode(),
            ],
        )
    finally:
        output = processes.stop(demo, signal.SIGINT, 30, then_kill=True)

    assert statuses == [400, 400, 400, 400, 403, 403, 404, 403, 403, 403], output
    assert output.count("Forbidden (CSRF cookie not set.)") == 5, output
    assert (SOURCE in output, TOKEN in output) == (False, False), output
