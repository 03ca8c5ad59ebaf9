"""`undersigned sign --anonymous URL`: anonymous signing without the instance's JavaScript.

    undersigned sign --anonymous URL --email ADDRESS [--code CODE] [--department D]
    undersigned sign --anonymous URL --invite-code CODE [--department D]
    undersigned sign --anonymous URL (--email ... | --invite-code ...) --save-token FILE
    undersigned sign --redeem FILE URL [--department D]

The client takes the letter's issuance key from the genesis entry of its public log, proven by a
tlog-proof against a checkpoint signed with the log's key (given with --key, or pinned on first
use in the same pins file as `undersigned verify`), and checks that the TokenChallenge names
this letter. It blinds the token here, sends only the blinded request with the verification,
and finalizes and checks the token here. Redemption sends the token alone; with --save-token it
can happen later, from another network (docs/anonymous.md). Without --code, the code from the
message is read from standard input. No Django, database or server setting is needed.

Exit status: 0 on success, 1 if the server or the log refuses or fails a check, 2 for usage.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

import altcha

from . import tokens
from .anonymous import letter_address, letter_challenge
from .logentries import EntryError, parse_entry
from .merkle import ProofError, leaf_hash
from .note import Checkpoint, NoteError, Verifier, parse_note, verifier_from_vkey
from .proof import parse_proof, verify_proof
from .verify import VerifyError
from .verify_cli import _load_pins, _save_pins, default_pins_path

__all__ = ["main"]

TIMEOUT = 30.0
MAX_RESPONSE = 256 * 1024
# Seconds a proof of work may take here before the client gives up (a server could ask a lot).
CHALLENGE_TIMEOUT = 120.0
USER_AGENT = "undersigned-sign/1"
SAVED_FORMAT = "undersigned-token/1"
_LETTER_PATH = re.compile(r"/l/([a-z0-9-]{1,64})(?:/.*)?")


class SignError(Exception):
    """Something refused or failed; the message says what, for the signer."""


@dataclass(frozen=True)
class Letter:
    base: str  # scheme://host[:port]
    slug: str

    @property
    def url(self) -> str:
        return f"{self.base}/l/{self.slug}/"

    @property
    def api(self) -> str:
        return f"{self.base}/api/v1/letters/{quote(self.slug)}"


def parse_letter_url(url: str) -> Letter:
    parts = urlsplit(url.strip())
    match = _LETTER_PATH.fullmatch(parts.path)
    if parts.scheme not in {"http", "https"} or not parts.netloc or match is None:
        raise SignError(f"{url!r} is not a letter's address (https://HOST/l/SLUG/)")
    return Letter(f"{parts.scheme}://{parts.netloc}", match.group(1))


def _request(url: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 -- http(s) checked
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 -- URL checked to be http(s)
            return response.status, response.read(MAX_RESPONSE + 1)[:MAX_RESPONSE]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_RESPONSE)
    except (urllib.error.URLError, OSError) as exc:
        raise SignError(f"cannot reach {url}: {exc}") from exc


def _json(url: str, body: dict[str, Any] | None = None, *, expect: int = 200) -> Any:
    return _checked(url, *_parsed(url, body), expect=expect)


def _parsed(url: str, body: dict[str, Any] | None) -> tuple[int, Any]:
    status, raw = _request(url, body)
    try:
        return status, json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignError(f"{url} answered {status} with something that is not JSON") from exc


def _checked(url: str, status: int, answer: Any, *, expect: int) -> Any:
    if status != expect:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        message = error.get("message") if isinstance(error, dict) else None
        raise SignError(f"the server refused ({status}): {message or 'no reason given'}")
    return answer


def _b64decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise SignError(f"the server sent no {what}")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise SignError(f"the server's {what} is not base64") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Issuer:
    key: tokens.IssuerPublicKey
    challenge: bytes
    origin: str


def _log_key(letter: Letter, args: argparse.Namespace, err: TextIO) -> tuple[Verifier, bool]:
    """The log's key, and whether it is trusted on first use (to pin once the checks pass)."""
    if args.key:
        try:
            return verifier_from_vkey(args.key.strip()), False
        except NoteError as exc:
            raise SignError(f"--key: {exc}") from exc
    status, raw = _request(f"{letter.url}log/checkpoint")
    if status != 200:
        raise SignError(f"the letter has no public log yet ({status}); try again in a few minutes")
    try:
        origin = Checkpoint.parse(parse_note(raw)[0]).origin
        pins = _load_pins(Path(args.pins) if args.pins else default_pins_path())["logs"]
        pinned = pins.get(origin)
        if isinstance(pinned, dict) and isinstance(pinned.get("vkey"), str):
            return verifier_from_vkey(pinned["vkey"]), False
        status, raw = _request(f"{letter.url}log/vkey")
        verifier = verifier_from_vkey(raw.decode("utf-8", "replace").strip())
    except (NoteError, VerifyError) as exc:
        raise SignError(f"the letter's log key: {exc}") from exc
    if verifier.name != origin:
        raise SignError(f"the log's published key is for {verifier.name!r}, the log is {origin!r}")
    err.write(
        f"WARNING: no key is pinned for the log {origin}; trusting the key it publishes:\n"
        f"    {verifier.vkey}\nCompare it with the key on the letter page or in the press.\n"
    )
    return verifier, True


def issuer_from_log(letter: Letter, verifier: Verifier) -> Issuer:
    """The issuance key and challenge of the genesis entry, proven under the log's key."""
    status, raw = _request(f"{letter.api}/log/proof?index=0")
    if status == 404:
        raise SignError(
            "the letter's log has not published its first entry yet; try again in a few minutes"
        )
    if status != 200:
        raise SignError(f"cannot fetch the log's genesis proof ({status})")
    try:
        proof = parse_proof(raw)
        if proof.index != 0 or proof.extra is None:
            raise SignError("the log's proof is not for its genesis entry")
        checked = verify_proof(raw, leaf_hash(proof.extra), verifier)
        genesis = parse_entry(proof.extra)
    except (NoteError, ProofError, EntryError) as exc:
        raise SignError(f"the letter's log does not check out: {exc}") from exc
    body = genesis.body or {}
    if genesis.type != "letter" or not body.get("issuance_key"):
        raise SignError("the letter's log publishes no issuance key: it takes no anonymous tokens")
    expected = letter_challenge(letter_address(checked.checkpoint.origin)).encode()
    if _b64decode(body.get("token_challenge"), "token challenge") != expected:
        raise SignError("the log's token challenge does not name this letter")
    try:
        key = tokens.IssuerPublicKey.from_spki(_b64decode(body["issuance_key"], "issuance key"))
    except tokens.TokenError as exc:
        raise SignError(f"the log's issuance key is unusable: {exc}") from exc
    return Issuer(key, expected, checked.checkpoint.origin)


def _checked_issuer(letter: Letter, args: argparse.Namespace, err: TextIO) -> Issuer:
    verifier, first_use = _log_key(letter, args, err)
    issuer = issuer_from_log(letter, verifier)
    served = _json(letter.api)
    if (
        not isinstance(served, dict)
        or served.get("issuance_key") != _b64(issuer.key.spki)
        or served.get("token_challenge") != _b64(issuer.challenge)
    ):
        raise SignError(
            "the letter's API serves another issuance key than its log: do not sign, tell the "
            "organizers"
        )
    if first_use:
        path = Path(args.pins) if args.pins else default_pins_path()
        try:
            pins = _load_pins(path)
            pins["logs"][issuer.origin] = {"vkey": verifier.vkey, "location": f"{letter.url}log/"}
            _save_pins(path, pins)
        except (OSError, VerifyError) as exc:
            raise SignError(f"cannot pin the log's key in {path}: {exc}") from exc
        err.write(f"The log's key is now pinned in {path}.\n")
    return issuer


def _verification(letter: Letter, args: argparse.Namespace, err: TextIO) -> dict[str, str]:
    if args.invite_code:
        return {"invite_code": args.invite_code}
    if not args.email:
        raise SignError("give --email ADDRESS (a code is mailed to it) or --invite-code CODE")
    code = args.code
    if code is None:
        _start(f"{letter.api}/signatures", {"email": args.email, "tier": "anonymous"}, err)
        err.write(
            "If this mailbox can sign, a message with a code is on its way to it.\n"
            "Enter the code from the message: "
        )
        err.flush()
        code = sys.stdin.readline().strip()
        if not code:
            raise SignError("no code was entered")
    return {"email": args.email, "code": code}


def _start(url: str, body: dict[str, Any], err: TextIO) -> None:
    """Ask for a code; when the server first wants a proof of work (428 with a challenge,
    docs/design.md section 8b), solve it here and ask once more with the answer."""
    status, answer = _parsed(url, body)
    challenge = answer.get("challenge") if isinstance(answer, dict) else None
    if status == 428 and challenge is not None:
        err.write("The server asks for a short proof of work first; solving it...\n")
        err.flush()
        status, answer = _parsed(url, {**body, "altcha": solve_challenge(challenge)})
    _checked(url, status, answer, expect=202)


def solve_challenge(challenge: Any) -> str:
    """The answer to an ALTCHA (version 2) challenge, as the base64 payload the server takes."""
    try:
        parsed = altcha.Challenge.from_dict(challenge)
        solution = altcha.solve_challenge(parsed, timeout=CHALLENGE_TIMEOUT)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise SignError("the server's challenge is not one this client can solve") from exc
    if solution is None:
        raise SignError(f"the server's challenge took longer than {CHALLENGE_TIMEOUT} s to solve")
    return str(altcha.Payload(parsed, solution).to_base64())


def issue_token(letter: Letter, issuer: Issuer, verification: dict[str, str]) -> bytes:
    request, state = tokens.create_token_request(issuer.challenge, issuer.key)
    answer = _json(
        f"{letter.api}/tokens", {**verification, "token_request": _b64(request.encode())}
    )
    try:
        token = tokens.finalize_token(state, _b64decode(answer.get("token_response"), "token"))
        tokens.verify_token(token, issuer.key, issuer.challenge)
    except tokens.TokenError as exc:
        raise SignError(f"the server's answer does not make a valid token: {exc}") from exc
    return token.encode()


def redeem(letter: Letter, token: bytes, department: str) -> dict[str, Any]:
    body = {"token": _b64(token), "department": department}
    receipt: dict[str, Any] = _json(f"{letter.api}/anonymous-signatures", body, expect=201)
    return receipt


def _write_private(path: str, text: str) -> None:
    # Created for this user only, and never over an existing file.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _read_token(path: str, letter: Letter) -> bytes:
    try:
        saved = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise SignError(f"cannot read the token file {path}: {exc}") from exc
    if not isinstance(saved, dict) or saved.get("format") != SAVED_FORMAT:
        raise SignError(f"{path} is not a token file saved by `undersigned sign`")
    if saved.get("letter") != letter.url:
        raise SignError(f"{path} holds a token for {saved.get('letter')}, not {letter.url}")
    return _b64decode(saved.get("token"), "token in the file")


def _print_receipt(receipt: dict[str, Any], args: argparse.Namespace, out: TextIO) -> None:
    saved = {
        "entry": receipt.get("entry"),
        "leaf_hash": receipt.get("leaf_hash"),
        "log_url": receipt.get("log_url"),
        "receipt_secret": receipt.get("receipt_secret"),
    }
    text = json.dumps(saved, indent=2, sort_keys=True) + "\n"
    signed_on = receipt.get("signature", {}).get("signed_on")
    out.write(f"Signed anonymously ({signed_on}). It enters the log at the next checkpoint.\n")
    if args.receipt:
        _write_private(args.receipt, text)
        out.write(f"Receipt saved to {args.receipt}; check it later with:\n")
        out.write(f"    undersigned verify {saved['log_url']} --receipt {args.receipt}\n")
    else:
        out.write("Your receipt (the only way to withdraw; keep it private or do not keep it):\n")
        out.write(text)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    letter = parse_letter_url(args.url)
    if args.redeem:
        token = _read_token(args.redeem, letter)
        issuer = _checked_issuer(letter, args, err)
        try:
            tokens.verify_token(token, issuer.key, issuer.challenge)
        except tokens.TokenError as exc:
            raise SignError(f"the saved token does not verify for this letter: {exc}") from exc
        _print_receipt(redeem(letter, token, args.department), args, out)
        # A used token only links its holder to a log entry: do not leave it lying around.
        Path(args.redeem).unlink()
        out.write(f"The used token file {args.redeem} was deleted.\n")
        return 0
    issuer = _checked_issuer(letter, args, err)
    token = issue_token(letter, issuer, _verification(letter, args, err))
    if args.save_token:
        saved = {"format": SAVED_FORMAT, "letter": letter.url, "token": _b64(token)}
        _write_private(args.save_token, json.dumps(saved, indent=2) + "\n")
        out.write(
            f"Your anonymous token is saved in {args.save_token}. Sign with it later, ideally from "
            f"another network:\n    undersigned sign --redeem {args.save_token} {letter.url}\n"
        )
        return 0
    _print_receipt(redeem(letter, token, args.department), args, out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="undersigned sign",
        description="Sign a letter anonymously, without the instance's JavaScript.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--anonymous", action="store_true", help="get a token, then sign with it")
    mode.add_argument("--redeem", metavar="FILE", help="sign with a token saved earlier")
    parser.add_argument("url", help="the letter's address, https://HOST/l/SLUG/")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--email", help="your work email; a code is mailed to it")
    how.add_argument("--invite-code", help="an invite code from the organizers")
    parser.add_argument("--code", help="the code from the message (else read from stdin)")
    parser.add_argument("--department", default="", help="optional, counted in breakdowns")
    parser.add_argument("--save-token", metavar="FILE", help="save the token; do not sign yet")
    parser.add_argument("--receipt", metavar="FILE", help="save the receipt to FILE")
    parser.add_argument("--key", help="the log's verifier key (vkey); else the pinned key")
    parser.add_argument("--pins", metavar="FILE", help="pinned keys (default: $UNDERSIGNED_PINS)")
    return parser


def main(argv: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    if args.redeem and (args.email or args.invite_code or args.save_token):
        err.write("--redeem signs with a saved token: no --email, --invite-code or --save-token\n")
        return 2
    try:
        return run(args, out, err)
    except SignError as exc:
        err.write(f"FAILED: {exc}\n")
        return 1
    except FileExistsError as exc:
        err.write(f"FAILED: {exc.filename} exists already; choose another file\n")
        return 1
