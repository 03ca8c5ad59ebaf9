"""What the benches that drive a real server share: a fresh PostgreSQL database, a free port,
the `undersigned` command prepared and serving, and a wait until it answers."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_fresh(url: str) -> None:
    """Drop and create the database `url` names, so every run starts empty."""
    admin_url, _, dbname = url.rpartition("/")
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{dbname}"')


def prepare(env: dict[str, str], seed: str) -> None:
    """Migrate, collect the static files and run the seed, as a deployment would."""
    for command in (
        ["migrate", "--verbosity", "0"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
        ["shell", "-c", seed],
    ):
        subprocess.run([str(BIN / "undersigned"), *command], env=env, check=True)


def serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """`undersigned serve` on 127.0.0.1:port, with the production server settings."""
    bind = f"127.0.0.1:{port}"
    command = [str(BIN / "undersigned"), "serve", "--bind", bind, "--workers", str(workers)]
    return subprocess.Popen(command, env=env)


def wait_http(port: int, path: str = "/healthz", timeout: float = 60) -> None:
    """Return once `path` answers 200; stop the bench if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path, headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer {path}")
