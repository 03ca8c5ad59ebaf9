"""`undersigned verify URL [--key VKEY] [--since FILE] [--save FILE] [--receipt FILE] [--pdf FILE]`.

Runs without Django, a database or any server setting, so anyone can check a log from a copy of
the project. Exit status 0 only if everything checks, 1 if something does not (the message names
it), 2 for a usage error.

Without --key, the log's key is pinned on first use in $UNDERSIGNED_PINS (default
~/.config/undersigned/pins.json), keyed by the log's origin, with a warning saying so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

from .logfetch import FetchError, Source, open_source
from .note import Checkpoint, NoteError, Verifier, parse_note, verifier_from_vkey
from .verify import DeliveryRecord, LogReport, VerifyError, check_log, match_pdf

__all__ = ["add_arguments", "default_pins_path", "main", "run"]

_MAX_FILE = 64 * 1024


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


def default_pins_path() -> Path:
    env = os.environ.get("UNDERSIGNED_PINS")
    if env:
        return Path(env)
    return Path.home() / ".config" / "undersigned" / "pins.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments; shared with the Django command of the same name."""
    parser.add_argument("location", help="the log's URL (https://host/l/SLUG/log/) or a directory")
    parser.add_argument("--key", help="the log's verifier key (vkey); else the pinned key is used")
    parser.add_argument("--since", metavar="FILE", help="a checkpoint saved earlier (--save)")
    parser.add_argument("--save", metavar="FILE", help="save the checked checkpoint to FILE")
    parser.add_argument("--receipt", metavar="FILE", help="a signer's receipt (JSON) to check")
    parser.add_argument(
        "--pdf", metavar="FILE", help="a copy of the delivered PDF (public or recipient's) to check"
    )
    parser.add_argument(
        "--witness", action="append", default=[], metavar="VKEY", help="a trusted witness key"
    )
    parser.add_argument("--min-witnesses", type=int, default=0, metavar="N")
    parser.add_argument(
        "--pins", metavar="FILE", help="the pinned keys file (default: $UNDERSIGNED_PINS)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="undersigned verify",
        description="Check a letter's public log: checkpoint signature, every hash, every entry, "
        "the counts; optionally consistency with a saved checkpoint and one receipt.",
    )
    add_arguments(parser)
    return parser


def _read_file(path: str, what: str) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_FILE + 1)
    except OSError as exc:
        raise VerifyError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    if len(raw) > _MAX_FILE:
        raise VerifyError(f"the {what} {path} is larger than {_MAX_FILE} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerifyError(f"the {what} {path} is not UTF-8 text") from exc


def _load_pins(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {"version": 1, "logs": {}}
    except (OSError, ValueError) as exc:
        raise VerifyError(f"the pins file {path} is unreadable: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("logs"), dict):
        raise VerifyError(f"the pins file {path} is not a pins file")
    return data


def _save_pins(path: Path, pins: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written aside and renamed, so an interrupted write never loses the keys pinned before.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pins-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(pins, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def _origin(source: Source) -> str:
    try:
        text, _ = parse_note(source.fetch("checkpoint"))
        return Checkpoint.parse(text).origin
    except (FetchError, NoteError) as exc:
        raise VerifyError(f"checkpoint: {exc}") from exc


def _key(value: str, what: str) -> Verifier:
    try:
        return verifier_from_vkey(value.strip())
    except NoteError as exc:
        raise VerifyError(f"{what}: {exc}") from exc


def _resolve_key(
    source: Source, args: argparse.Namespace, err: Writer
) -> tuple[Verifier, Path | None]:
    """The key to check with, and where to pin it afterwards if this is its first use."""
    if args.key:
        return _key(args.key, "--key"), None
    pins_path = Path(args.pins) if args.pins else default_pins_path()
    origin = _origin(source)
    pinned = _load_pins(pins_path)["logs"].get(origin)
    if isinstance(pinned, dict) and isinstance(pinned.get("vkey"), str):
        return _key(pinned["vkey"], f"the key pinned for {origin} in {pins_path}"), None
    try:
        published = source.fetch("vkey").decode("utf-8", "replace")
    except FetchError as exc:
        raise VerifyError(f"no --key given, nothing pinned, and {exc}") from exc
    verifier = _key(published, "the key the log publishes")
    if verifier.name != origin:
        raise VerifyError(f"the published key is for {verifier.name!r}, the log is {origin!r}")
    err.write(
        f"WARNING: first use of the log {origin}. No key was pinned for it, so this check trusts\n"
        f"the key the server itself publishes:\n    {verifier.vkey}\n"
        "Compare it with the key printed on the letter page, in the delivered letter or by the\n"
        "press. If the check passes it is pinned, and later checks fail if the key changes.\n"
    )
    return verifier, pins_path


def _pin(path: Path, origin: str, verifier: Verifier, location: str, err: Writer) -> None:
    pins = _load_pins(path)
    pins["logs"][origin] = {"vkey": verifier.vkey, "location": location}
    try:
        _save_pins(path, pins)
    except OSError as exc:
        raise VerifyError(f"cannot write the pins file {path}: {exc.strerror}") from exc
    err.write(f"The key of {origin} is now pinned in {path}.\n")


PdfMatch = tuple[DeliveryRecord, str]


def _match_pdf(path: str, report: LogReport) -> PdfMatch:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise VerifyError(f"cannot read the PDF {path}: {exc.strerror}") from exc
    return match_pdf(report, data)


def _as_json(report: LogReport, pdf: PdfMatch | None) -> dict[str, Any]:
    receipt = report.receipt
    return {
        "ok": True,
        "location": report.location,
        "origin": report.origin,
        "vkey": report.vkey,
        "size": report.size,
        "root": report.root.hex(),
        "witnesses": list(report.witnesses),
        "counts": dict(report.counts),
        "total": report.total,
        "versions": {str(number): count for number, count in report.versions.items()},
        "withdrawn": report.withdrawn,
        "invalidated": report.invalidated,
        "since_size": report.since_size,
        "receipt": None if receipt is None else receipt.__dict__,
        "deliveries": [record.__dict__ for record in report.deliveries],
        "pdf": None if pdf is None else {"index": pdf[0].index, "copy": pdf[1]},
    }


def _print(report: LogReport, pdf: PdfMatch | None, out: Writer) -> None:
    out.write(f"log        {report.origin}\n")
    out.write(f"location   {report.location}\n")
    out.write(f"key        {report.vkey}\n")
    cosigned = f", cosigned by {', '.join(report.witnesses)}" if report.witnesses else ""
    out.write(f"checkpoint {report.size} entries, root {report.root.hex()}{cosigned}\n")
    out.write(
        f"checked    checkpoint signature, {report.tiles} hash tiles, {report.size} entries\n"
    )
    for tier, count in report.counts.items():
        out.write(f"count {tier}: {count}\n")
    out.write(f"count total: {report.total}\n")
    if len(report.versions) > 1:
        for number, count in report.versions.items():
            out.write(f"count for text version {number}: {count}\n")
    out.write(f"removed    {report.withdrawn} withdrawn, {report.invalidated} invalidated\n")
    if report.since_size is not None:
        out.write(f"consistent with the saved checkpoint of {report.since_size} entries\n")
    if report.receipt is not None:
        r = report.receipt
        state = "counted" if r.counted else f"not counted (removed by entry {r.removed_by})"
        opened = "; the receipt secret opens its commitment" if r.commitment_checked else ""
        out.write(f"receipt    entry {r.index} is in the log, {state}{opened}\n")
    for d in report.deliveries:
        out.write(f"delivery   entry {d.index}, {d.date}, to {d.recipient}\n")
        if d.recipient_pdf_hash is None:
            out.write(f"  PDF (sent and published) sha256 {d.pdf_hash}\n")
        else:
            out.write(f"  public PDF sha256 {d.pdf_hash}\n")
            out.write(f"  recipient's PDF sha256 {d.recipient_pdf_hash}\n")
    if pdf is not None:
        copy = "the public copy" if pdf[1] == "public" else "the recipient's copy"
        out.write(f"pdf        {copy} recorded by entry {pdf[0].index}\n")
    out.write("OK: everything checks.\n")


def run(args: argparse.Namespace, out: Writer, err: Writer) -> int:
    try:
        source = open_source(args.location)
    except FetchError as exc:
        err.write(f"FAILED: {exc}\n")
        return 1
    try:
        verifier, pin_to = _resolve_key(source, args, err)
        witnesses = [_key(w, "--witness") for w in args.witness]
        since = _read_file(args.since, "saved checkpoint") if args.since else None
        receipt = None
        if args.receipt:
            try:
                receipt = json.loads(_read_file(args.receipt, "receipt"))
            except ValueError as exc:
                raise VerifyError(f"the receipt {args.receipt} is not JSON") from exc
            if not isinstance(receipt, dict):
                raise VerifyError(f"the receipt {args.receipt} is not a JSON object")
        report = check_log(
            source,
            verifier,
            witnesses=witnesses,
            min_witnesses=args.min_witnesses,
            since=since,
            receipt=receipt,
        )
        if pin_to is not None:
            _pin(pin_to, report.origin, verifier, source.location, err)
        pdf = _match_pdf(args.pdf, report) if args.pdf else None
        if args.save:
            Path(args.save).write_text(report.checkpoint, encoding="utf-8")
    except VerifyError as exc:
        err.write(f"FAILED: {exc}\n")
        return 1
    finally:
        source.close()
    if args.json:
        out.write(json.dumps(_as_json(report, pdf), indent=2) + "\n")
    else:
        _print(report, pdf, out)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run(args, sys.stdout, sys.stderr)
