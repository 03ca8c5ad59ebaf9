"""`make bench`: confirmed signatures per second against the real server on PostgreSQL.

What runs: gunicorn (`undersigned serve`, several workers) and `undersigned worker` processes on a
fresh PostgreSQL database, and a real SMTP server (aiosmtpd) in this process that the worker
delivers verification messages to. This process is the load generator: each simulated signer
POSTs "start signing", waits for its code to arrive by email, and POSTs the confirmation, over
loopback, through keep-alive connections, as if from behind a trusted reverse proxy with its own
address (so per-client rate limits apply per signer, as in production).

It prints confirmed signatures per second, p50/p99 latency of each request, and checks that the
stored signatures and counters equal the number of confirmations.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import secrets
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller
from server import BIN, database_fresh, free_port, prepare, serve, wait_http

CODE = re.compile(rb"^Code: (\d+)\r?$", re.MULTILINE)


class CodeSink:
    """SMTP server that hands each recipient's verification code to the waiting signer."""

    def __init__(self) -> None:
        self.port = free_port()
        self.codes: dict[str, queue.Queue[str]] = {}
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def box(self, address: str) -> queue.Queue[str]:
        with self.lock:
            return self.codes.setdefault(address, queue.Queue())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content().encode() if body is not None else b""
        match = CODE.search(text)
        if match:
            for rcpt in envelope.rcpt_tos:
                self.box(rcpt).put(match.group(1).decode())
        return "250 OK"


@dataclass
class Results:
    start_ms: list[float] = field(default_factory=list)
    confirm_ms: list[float] = field(default_factory=list)
    confirmed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


class Client:
    """One keep-alive connection; reconnects when the server closed it while we waited for mail."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: dict[str, Any], ip: str) -> tuple[int, float]:
        payload = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-Forwarded-For": ip, "Host": "127.0.0.1"}
        for attempt in range(2):
            started = time.perf_counter()
            try:
                self.conn.request("POST", path, body=payload, headers=headers)
                response = self.conn.getresponse()
                response.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # An idle keep-alive connection the server closed: the request never ran.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
                continue
            return response.status, (time.perf_counter() - started) * 1000
        raise AssertionError("unreachable")


def signer_loop(
    port: int, sink: CodeSink, work: queue.Queue[int], results: Results, slug: str
) -> None:
    client = Client(port)
    base = f"/api/v1/letters/{slug}/signatures"
    while True:
        try:
            n = work.get_nowait()
        except queue.Empty:
            return
        email = f"signer{n}@example.org"
        ip = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        try:
            status, ms = client.post(base, {"email": email, "tier": "counted"}, ip)
            if status != 202:
                results.error(f"start {status}")
                continue
            code = sink.box(email).get(timeout=60)
            status2, ms2 = client.post(f"{base}/confirm", {"email": email, "code": code}, ip)
        except (OSError, http.client.HTTPException, queue.Empty) as exc:
            results.error(type(exc).__name__)
            continue
        with results.lock:
            results.start_ms.append(ms)
            results.confirm_ms.append(ms2)
            if status2 == 201:
                results.confirmed += 1
        if status2 != 201:
            results.error(f"confirm {status2}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


SEED = """
from undersigned.letters.models import Letter, LetterText
letter = Letter.objects.create(slug="bench", state="open", domains=["example.org"],
    recipient_name="CEO", recipient_email="ceo@example.org", goal=100000)
LetterText.objects.create(letter=letter, language="en", title="Bench", body="Benchmark letter.")
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--signers", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--mail-workers", type=int, default=2)
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/undersigned_bench"
        ),
    )
    args = parser.parse_args()

    database_fresh(args.database)

    sink = CodeSink()
    sink.controller.start()
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="undersigned-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "undersigned.settings.main",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": args.database,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "TRUSTED_PROXIES": "127.0.0.1",
        "UNDERSIGNED_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
    }
    prepare(env, SEED)

    procs = [serve(env, port, args.web_workers)]
    procs += [
        subprocess.Popen([str(BIN / "undersigned"), "worker"], env=env)
        for _ in range(args.mail_workers)
    ]
    try:
        wait_http(port)
        work: queue.Queue[int] = queue.Queue()
        for n in range(args.signers):
            work.put(n)
        results = Results()
        threads = [
            threading.Thread(target=signer_loop, args=(port, sink, work, results, "bench"))
            for _ in range(args.concurrency)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        sink.controller.stop()

    with psycopg.connect(args.database) as db:
        stored = db.execute("SELECT count(*) FROM signing_signature").fetchone()[0]
        counted = db.execute("SELECT coalesce(sum(value), 0) FROM signing_counter").fetchone()[0]

    print()
    print(
        f"signers {args.signers}, concurrency {args.concurrency}, "
        f"gunicorn workers {args.web_workers}, "
        f"mail workers {args.mail_workers}, {os.cpu_count()} cores"
    )
    print(
        f"confirmed signatures per second: {results.confirmed / elapsed:.0f} "
        f"({results.confirmed} in {elapsed:.1f} s, start + email + confirm)"
    )
    for name, values in (("start", results.start_ms), ("confirm", results.confirm_ms)):
        print(
            f"{name:8s} p50 {pct(values, 50):6.1f} ms   p99 {pct(values, 99):6.1f} ms   "
            f"mean {statistics.fmean(values) if values else float('nan'):6.1f} ms"
        )
    print(f"errors: {results.errors or 'none'}")
    ok = stored == results.confirmed == counted and not results.errors
    print(
        f"stored signatures {stored}, counters {counted}, confirmations {results.confirmed}: "
        f"{'consistent' if ok else 'MISMATCH'}"
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
