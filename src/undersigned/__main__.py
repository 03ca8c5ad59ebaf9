"""The `undersigned` command (DESIGN.md section 9a).

undersigned demo [--host H] [--port P]     a local instance with a sample letter
undersigned serve [--bind H:P] [--workers N]
undersigned worker
undersigned verify URL [--key VKEY] [--since FILE] [--save FILE] [--receipt FILE]
undersigned log-export SLUG DIR            a directory copy of a letter's log
undersigned sign --anonymous URL [...]     sign anonymously without the site's JavaScript
undersigned <any Django management command>
"""

from __future__ import annotations

import argparse
import os
import sys


def _django(argv: list[str]) -> None:
    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings.main")
    execute_from_command_line(["undersigned", *argv])


def _serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="undersigned serve")
    parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "4")))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings.main")
    # Fail fast on bad configuration before forking workers.
    import django

    django.setup()
    os.execvp(  # noqa: S606 -- replaces this process with gunicorn, arguments are ours
        sys.executable,
        [
            sys.executable, "-m", "gunicorn", "undersigned.wsgi:application",
            "--bind", args.bind, "--workers", str(args.workers),
            "--worker-class", "gthread", "--threads", "4",
            # No access log: it would hold every client's address (docs/threat-model.md).
            "--error-logfile", "-", "--forwarded-allow-ips", "",
            "--limit-request-line", "4094", "--graceful-timeout", "20",
        ],
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command == "demo":
        from undersigned.demo import run_demo

        run_demo(argv[1:])
    elif command == "serve":
        _serve(argv[1:])
    elif command == "verify":
        # Checking a log needs no settings, secret or database: it runs on a reporter's laptop.
        from undersigned.crypto.verify_cli import main as verify_main

        sys.exit(verify_main(argv[1:]))
    elif command == "sign":
        # Like verify: for signers who trust neither the instance's JavaScript nor its settings.
        from undersigned.crypto.sign_cli import main as sign_main

        sys.exit(sign_main(argv[1:]))
    elif command == "log-export":
        _django(["log_export", *argv[1:]])
    elif command in {"help", "-h", "--help"}:
        print(__doc__)
        _django(["help"])
    else:
        _django(argv)


if __name__ == "__main__":
    main()
