"""`make bench`: readers' throughput: the letter page, the count, the letter API, the checkpoint.

What runs: gunicorn (`undersigned serve`, 3 workers) on a fresh PostgreSQL database with an open
letter (Markdown text, demands, a translation, a published checkpoint), Redis as the cache when
`redis-server` is installed (as in production; else each worker's memory), and Debian's `wrk`
as the load generator (32 connections, a few seconds per URL, no cookies, as a reader arriving
from a press link). Beside each figure it prints the rate of a bare Django view served by the same
server with the same settings and middleware (`pages_settings.py` adds only that view), measured
before and after the others; the targets (docs/design.md section 10a) are ratios to it.

The machine is shared with whatever else runs: read the figures with that in mind.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from server import database_fresh, free_port, prepare, serve, wait_http

HERE = Path(__file__).resolve().parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
SLUG = "press"

# name, path, target requests/s, target share of the bare view's rate
TARGETS: list[tuple[str, str, float | None, float | None]] = [
    ("letter page", f"/l/{SLUG}/", 2000, 0.45),
    ("count", f"/api/v1/letters/{SLUG}/count", 3000, 0.65),
    ("letter API", f"/api/v1/letters/{SLUG}", None, None),
    ("checkpoint", f"/l/{SLUG}/log/checkpoint", None, None),
]

SEED = """
from undersigned.accounts.models import User
from undersigned.campaign import letters
from undersigned.publiclog.sequencer import log_sequence_all
owner = User.objects.create_user("owner@example.org", None, can_create_letters=True)
body = "\\n\\n".join(
    f"## Part {n}\\n\\nWe, the undersigned, ask *leadership* to [reconsider](https://example.org) "
    "the contract. " * 6 + "\\n\\n- one reason\\n- another reason\\n- a third"
    for n in range(1, 6)
)
letter = letters.letter_create(user=owner, slug="press", default_language="en",
    title="Cancel the contract", body=body, recipient_name="The CEO",
    recipient_email="ceo@example.org", domains=["example.org"], goal=10000)
for text in ("Cancel the contract.", "Publish its terms.", "Meet the staff council."):
    letters.demand_add(letter=letter, texts={"en": text})
letters.letter_text_set(letter=letter, language="de", title="Den Vertrag kündigen", body=body)
letters.letter_transition(letter=letter, target="open", user=owner)
log_sequence_all()
"""


def wrk(port: int, path: str, *, seconds: int, connections: int, threads: int) -> tuple[float, int]:
    """Requests per second, and how many answers were not 2xx/3xx."""
    out = subprocess.run(
        [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = RATE.search(out)
    if rate is None:
        raise SystemExit(f"wrk printed no rate for {path}:\n{out}")
    bad = NON_2XX.search(out)
    return float(rate.group(1)), int(bad.group(1)) if bad else 0


def start_redis() -> tuple[subprocess.Popen[bytes] | None, str | None]:
    server = shutil.which("redis-server")
    if server is None:
        return None, None
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("redis-server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5, help="per URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk's")
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument(
        "--no-redis", action="store_true", help="each worker's memory as the cache, not Redis"
    )
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/undersigned_bench"
        ),
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("bench/pages.py needs wrk: sudo apt-get install wrk")

    database_fresh(args.database)

    redis, redis_url = (None, None) if args.no_redis else start_redis()
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="undersigned-bench-"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(HERE)])),
        "DJANGO_SETTINGS_MODULE": "pages_settings",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": args.database,
        "UNDERSIGNED_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    prepare(env, SEED)

    server = serve(env, port, args.web_workers)
    results: dict[str, tuple[float, int]] = {}
    try:
        wait_http(port, "/bench/minimal")
        for _, path, _, _ in TARGETS:
            wait_http(port, path)

        def measure(path: str) -> tuple[float, int]:
            return wrk(
                port,
                path,
                seconds=args.seconds,
                connections=args.connections,
                threads=args.threads,
            )

        before = measure("/bench/minimal")
        for name, path, _, _ in TARGETS:
            results[name] = measure(path)
        after = measure("/bench/minimal")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)

    bare = (before[0] + after[0]) / 2
    print()
    print(
        f"gunicorn workers {args.web_workers}, wrk {args.threads} threads x "
        f"{args.connections} connections, {args.seconds} s per URL, {os.cpu_count()} cores, "
        f"cache: {'Redis' if redis_url else 'per-process memory'}"
    )
    print(
        f"bare Django view: {bare:8.0f} requests/s (before {before[0]:.0f}, after {after[0]:.0f})"
    )
    ok = before[1] == after[1] == 0
    for name, _, target, share in TARGETS:
        rate, bad = results[name]
        ratio = rate / bare if bare else float("nan")
        verdict = ""
        if target is not None and share is not None:
            met = rate >= target and ratio >= share
            verdict = (
                f"   target >= {target:.0f}/s and >= {share:.0%}: {'met' if met else 'MISSED'}"
            )
        errors = f"   {bad} answers not 2xx/3xx" if bad else ""
        ok = ok and not bad
        print(f"{name:12s} {rate:8.0f} requests/s  {ratio:6.1%} of the bare view{verdict}{errors}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
