"""`undersigned demo`: a complete local instance in one command.

SQLite under $UNDERSIGNED_DATA_DIR (default ./.undersigned), an organizer whose login is printed,
an open sample letter `demo` for mailboxes at example.org, the web server and an in-process worker.
Outgoing email is written as files to a folder whose path is printed. `--no-serve` stops after
the set-up and the sample data.

The settings it ran with are written to demo.env in that folder, so that every other
`undersigned` command run from here (or with UNDERSIGNED_DATA_DIR pointing there) works on the
same instance; see load_demo_env in settings/env.py and docs/configuration.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import threading
from pathlib import Path

from undersigned.settings.env import DEMO_ENV, data_dir, write_env_file

# What the demo chooses for an instance of its own; each can be overridden from the environment.
DEMO_SETTINGS = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "EMAIL_URL",
    "SEQUENCER_INTERVAL_SECONDS",
)


def _prepare_environment(data: Path, host: str, port: int) -> None:
    data.mkdir(parents=True, exist_ok=True)
    key_file = data / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    mail_dir = data / "mail"
    mail_dir.mkdir(exist_ok=True)
    os.environ.setdefault("SECRET_KEY", key_file.read_text().strip())
    os.environ.setdefault("ALLOWED_HOSTS", f"{host},localhost,127.0.0.1")
    os.environ.setdefault("SITE_URL", f"http://{host}:{port}")
    os.environ.setdefault("EMAIL_URL", f"file://{mail_dir}")
    os.environ.setdefault("SEQUENCER_INTERVAL_SECONDS", "5")
    os.environ["UNDERSIGNED_DATA_DIR"] = str(data)
    os.environ["DJANGO_SETTINGS_MODULE"] = "undersigned.settings.main"


def run_demo(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="undersigned demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--no-serve", action="store_true", help="Set up and seed, then exit (for scripts)."
    )
    args = parser.parse_args(argv)
    data = data_dir()
    _prepare_environment(data, args.host, args.port)

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    # Written once the settings have loaded, so that a mistake in them is not kept for later.
    # BIND: `undersigned serve` from here answers where the demo did, at its SITE_URL.
    write_env_file(
        data / DEMO_ENV,
        {**{name: os.environ[name] for name in DEMO_SETTINGS}, "BIND": f"{args.host}:{args.port}"},
        "Written by `undersigned demo`; variables set in the environment win over these.",
    )
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)

    from undersigned.seed import seed_demo

    login = seed_demo()
    mail_dir = settings.EMAIL_FILE_PATH or "(printed on this console)"
    print(
        "\n".join(
            [
                "",
                "undersigned demo is ready.",
                f"  Letter:      {settings.SITE_URL}/l/demo/",
                f"  Organizers:  {settings.SITE_URL}/manage/",
                f"  Login:       {login.email} / {login.password or '(unchanged since first run)'}",
                f"  Emails:      {mail_dir}  (verification codes arrive here as .log files)",
                "  Sign with any address at example.org.  Stop with Ctrl-C.",
                "",
            ]
        ),
        flush=True,
    )
    if args.no_serve:
        return

    from undersigned.campaign.worker import run_worker

    stop = threading.Event()
    worker = threading.Thread(target=run_worker, kwargs={"stop": stop}, daemon=True)
    worker.start()

    from waitress import serve

    from undersigned.common.webserver import CONNECTION_LIMIT, waitress_options
    from undersigned.wsgi import application

    options = waitress_options(threads=8, connections=CONNECTION_LIMIT)
    try:
        serve(application, host=args.host, port=args.port, **options)
    finally:
        stop.set()
        worker.join(timeout=10)
