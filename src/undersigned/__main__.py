"""The `undersigned` command (docs/design.md section 9a).

undersigned demo [--host H] [--port P] [--no-serve]   a local instance with a sample letter
undersigned serve [--bind H:P] [--workers N]
undersigned worker
undersigned verify URL [--key VKEY] [--since FILE] [--save FILE] [--receipt FILE]
undersigned log-export SLUG DIR            a directory copy of a letter's log
undersigned rotate-keys [--batch-size N]   re-wrap stored secrets under the current SECRET_KEY
undersigned sign --anonymous URL [...]     sign anonymously without the site's JavaScript
undersigned <any Django management command, listed below>

Settings come from the environment (docs/configuration.md). When SECRET_KEY is not set there,
every command runs on the demo's settings instead, if `undersigned demo` has written them to
demo.env in the data folder ($UNDERSIGNED_DATA_DIR, default ./.undersigned); variables set in
the environment still win over the file's, one by one. verify and sign read no settings at all.
A missing or malformed setting stops a command with one line naming it, and exit status 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    # Imported where used, not here: verify and sign must run without loading Django at all.
    from django.core.exceptions import ImproperlyConfigured

SETTINGS_MODULE = "undersigned.settings.main"
HELP = {"help", "-h", "--help"}
# The documented spelling of Django management commands whose names have underscores.
ALIASES = {"log-export": "log_export", "rotate-keys": "rotate_keys"}


def _load_settings() -> None:
    """Import the settings now, so that their mistakes surface here and not inside Django."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    module = os.environ["DJANGO_SETTINGS_MODULE"]
    try:
        settings.INSTALLED_APPS  # noqa: B018 -- reading one setting is what imports the module
    except ModuleNotFoundError as exc:
        if exc.name is None or not f"{module}.".startswith(f"{exc.name}."):
            raise  # a module the settings import is missing: a broken install, not a setting
        raise ImproperlyConfigured(f"DJANGO_SETTINGS_MODULE: no module named {module!r}") from exc


def _load_settings_for_help() -> None:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        _load_settings()
    except ImproperlyConfigured:
        # Listing commands needs the apps only; without them Django would list its own commands
        # and a warning, before anyone has had the chance to configure anything.
        from undersigned.settings import base

        settings.configure(INSTALLED_APPS=base.INSTALLED_APPS, AUTH_USER_MODEL=base.AUTH_USER_MODEL)


def _django(argv: list[str]) -> None:
    from django.core.management import execute_from_command_line

    if argv[:1] == ["help"] or argv[1:] in (["-h"], ["--help"]):
        _load_settings_for_help()
    else:
        _load_settings()
    execute_from_command_line(["undersigned", *argv])


def _serve(argv: list[str], demo: Path | None) -> None:
    import argparse

    from undersigned.settings.env import env_int, env_str

    parser = argparse.ArgumentParser(prog="undersigned serve")
    parser.add_argument("--bind", default=env_str("BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=env_int("WEB_WORKERS", 4, minimum=1))
    args = parser.parse_args(argv)
    # Fail fast on bad configuration before forking workers.
    _load_settings()
    import django

    django.setup()
    if demo is not None:
        # A server is the one place where running on the demo's settings must not go unnoticed.
        print(
            f"undersigned: SECRET_KEY is not set; serving the demo in {demo.parent}",
            file=sys.stderr,
        )
    # gunicorn's own "Listening at" line has its address redacted, like every address it logs.
    print(f"undersigned: serving on {args.bind}", file=sys.stderr, flush=True)
    os.execvp(  # noqa: S606 -- replaces this process with gunicorn, arguments are ours
        sys.executable,
        [
            sys.executable, "-m", "gunicorn", "undersigned.wsgi:application",
            "--bind", args.bind, "--workers", str(args.workers),
            # Each process serves with waitress, which reads a request whole before a thread
            # runs it: slow clients hold sockets, not threads (common/webserver.py).
            "--worker-class", "undersigned.common.webserver.WaitressWorker", "--threads", "4",
            # No access log, and an error log without client addresses or paths (paths carry
            # tokens): common/gunicornlog.py, docs/threat-model.md.
            "--logger-class", "undersigned.common.gunicornlog.Logger",
            "--error-logfile", "-", "--forwarded-allow-ips", "", "--graceful-timeout", "20",
        ],
    )  # fmt: skip


def _refuse(exc: ImproperlyConfigured) -> NoReturn:
    """One line saying what to set: the mistake is in the environment, a traceback is noise."""
    from undersigned.settings.env import env_str

    reason = " ".join(str(exc).split())
    line = f"undersigned: {reason} (see docs/configuration.md)"
    if env_str("SECRET_KEY") is None:
        # Neither configured nor a demo folder: perhaps a newcomer who wanted the demo.
        line += ", or run `undersigned demo` first for a local instance"
    print(line, file=sys.stderr)
    sys.exit(2)


def _run(command: str, argv: list[str]) -> None:
    if command == "demo":
        from undersigned.demo import run_demo

        # Not load_demo_env(): the demo decides its settings afresh, then writes them.
        run_demo(argv[1:])
        return

    from undersigned.settings.env import load_demo_env

    demo = load_demo_env()
    if command == "serve":
        _serve(argv[1:], demo)
    elif command in ALIASES:
        _django([ALIASES[command], *argv[1:]])
    elif command in HELP:
        if len(argv) <= 1:
            print(__doc__)
        _django(["help", *argv[1:]])
    else:
        _django(argv)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command == "verify":
        # Checking a log needs no settings, secret or database: it runs on a reporter's laptop.
        from undersigned.crypto.verify_cli import main as verify_main

        sys.exit(verify_main(argv[1:]))
    if command == "sign":
        # Like verify: for signers who trust neither the instance's JavaScript nor its settings.
        from undersigned.crypto.sign_cli import main as sign_main

        sys.exit(sign_main(argv[1:]))

    from django.core.exceptions import ImproperlyConfigured

    try:
        _run(command, argv)
    except ImproperlyConfigured as exc:
        _refuse(exc)


if __name__ == "__main__":
    main()
