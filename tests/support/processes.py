"""Run the real `undersigned` command in a subprocess against the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

UNDERSIGNED = str(Path(sys.executable).with_name("undersigned"))


def database_url() -> str:
    """The URL of the database this test is using (the test database, not the configured one)."""
    params: dict[str, Any] = connection.settings_dict
    if params["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def command_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="undersigned.settings.main",
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        DATABASE_URL=database_url(),
        UNDERSIGNED_DATA_DIR=str(settings.DATA_DIR),
    )
    env.update(extra)
    return env


def start(*args: str, **extra_env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [UNDERSIGNED, *args],
        env=command_env(**extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def run(*args: str, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [UNDERSIGNED, *args],
        env=command_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_demo(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """`undersigned demo` on 127.0.0.1:`port`, on settings of its own: none of the test's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
        and not key.startswith(("EMAIL_", "ALLOWED_", "SITE_"))
    }
    env["UNDERSIGNED_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [UNDERSIGNED, "demo", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(
    process: subprocess.Popen[bytes], sig: int, timeout: float = 20, *, then_kill: bool = False
) -> str:
    """Signal a started command, wait for it, and return what it printed. With `then_kill`, a
    command still running after `timeout` is killed (a server whose output is what the test
    reads); otherwise the timeout fails the test."""
    process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if not then_kill:
            raise
        process.kill()
        output, _ = process.communicate()
    return output.decode(errors="replace")


def wait_until(
    condition: Callable[[], object], *, timeout: float = 60.0, poll: float = 0.05
) -> None:
    """Poll `condition` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise AssertionError("timed out")
