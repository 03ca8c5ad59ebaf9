"""`undersigned verify` as a library and a command, against logs built with the crypto modules.

Every tampering test changes one resource and checks that the message names it.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import http.server
import json
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from undersigned.crypto import blindrsa, logentries, tokens
from undersigned.crypto.anonymous import letter_address, letter_challenge
from undersigned.crypto.canonical import canonical_json
from undersigned.crypto.logfetch import DirectorySource, FetchError, HttpSource
from undersigned.crypto.merkle import MemoryTree, leaf_hash
from undersigned.crypto.note import Checkpoint, Signer, sign_checkpoint
from undersigned.crypto.tiles import append_entries
from undersigned.crypto.verify import VerifyError, check_log
from undersigned.crypto.verify_cli import main

DAY = dt.date(2025, 5, 1)
ORIGIN = "letters.example/l/test/log"
VECTORS = Path(__file__).parent / "vectors" / "rfc9578-token-type-0002.json"


def genesis(**extra: bytes) -> bytes:
    return logentries.letter_entry(date=DAY, text_hash="ab" * 32, domains=["example.org"], **extra)


def signature(tier: str = "counted", secret: str | None = None) -> bytes:
    fields = {"name": "N"} if tier in logentries.NAMED_FIELD_TIERS else None
    secret = secret or secrets.token_urlsafe(32)
    return logentries.signature_entry(tier=tier, date=DAY, secret=secret, fields=fields)


def write_log(root: Path, entries: list[bytes], signer: Signer) -> str:
    """A directory copy of a log of ``entries``; returns its signed checkpoint."""
    for path, data in append_entries(0, entries).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    tree = MemoryTree(leaf_hash(e) for e in entries)
    note = sign_checkpoint(Checkpoint(signer.name, len(entries), tree.root()), [signer])
    (root / "checkpoint").write_text(note, encoding="utf-8")
    (root / "vkey").write_text(signer.verifier().vkey + "\n", encoding="utf-8")
    return note


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
def log(tmp_path: Path, signer: Signer) -> Path:
    # Anonymous entries need tokens under an issuance key; test_check_log_*token* covers them.
    tiers = ["public", "recipient", "counted"] * 200
    entries = [genesis(), *(signature(t) for t in tiers)]
    entries.append(logentries.withdrawal_entry(date=DAY, index=1))
    entries.append(logentries.invalidation_entry(date=DAY, indexes=[2, 3], reason="Bots"))
    write_log(tmp_path, entries, signer)
    return tmp_path


def check(root: Path, signer: Signer, **kwargs: object) -> object:
    return check_log(DirectorySource(root), signer.verifier(), **kwargs)  # type: ignore[arg-type]


def failure(root: Path, signer: Signer, **kwargs: object) -> str:
    with pytest.raises(VerifyError) as info:
        check(root, signer, **kwargs)
    return str(info.value)


def test_check_log_counts_signatures_minus_removals(log: Path, signer: Signer) -> None:
    report = check(log, signer)
    assert report.counts == {"public": 199, "recipient": 199, "counted": 199, "anonymous": 0}  # type: ignore[attr-defined]
    assert (report.size, report.withdrawn, report.invalidated) == (603, 1, 2)  # type: ignore[attr-defined]


def test_check_log_of_only_the_letter_entry(tmp_path: Path, signer: Signer) -> None:
    write_log(tmp_path, [genesis()], signer)
    assert check(tmp_path, signer).total == 0  # type: ignore[attr-defined]


def test_wrong_key_is_named(log: Path) -> None:
    other = Signer.generate(ORIGIN)
    expected = f"checkpoint: not signed by the expected key {other.verifier().vkey}"
    assert failure(log, other) == expected


def test_altered_checkpoint_fails_its_signature(log: Path, signer: Signer) -> None:
    text = (log / "checkpoint").read_text()
    (log / "checkpoint").write_text(text.replace("\n603\n", "\n602\n"))
    assert failure(log, signer) == f"checkpoint: signature from {ORIGIN!r} does not verify"


def test_altered_entry_is_named(log: Path, signer: Signer) -> None:
    bundle = log / "tile/entries/001"
    data = bytearray(bundle.read_bytes())
    data[data.index(b'"tier":"') + 8 : data.index(b'"tier":"') + 14] = b"counte"
    bundle.write_bytes(bytes(data))
    message = failure(log, signer)
    assert message.startswith("entry 256 (in tile/entries/001) does not match its leaf hash")


def test_altered_full_tile_is_named(log: Path, signer: Signer) -> None:
    tile = log / "tile/0/001"
    tile.write_bytes(b"\x00" * 32 + tile.read_bytes()[32:])
    assert (
        failure(log, signer)
        == "tile/0/001 does not match its hash in tile/1/000.p/2 (tile altered)"
    )


def test_altered_edge_tile_is_a_root_mismatch(log: Path, signer: Signer) -> None:
    tile = log / "tile/0/002.p/91"
    tile.write_bytes(tile.read_bytes()[:-1] + b"\x00")
    assert failure(log, signer).startswith(
        "root mismatch: the tiles at the right edge of the tree (tile/0/002.p/91, tile/1/000.p/2)"
    )


def test_missing_and_truncated_tiles_are_named(log: Path, signer: Signer) -> None:
    (log / "tile/1/000.p/2").write_bytes(b"\x00" * 10)
    assert failure(log, signer) == "tile/1/000.p/2 is 10 bytes, want 64"
    (log / "tile/1/000.p/2").unlink()
    assert failure(log, signer) == (
        f"cannot fetch tile/1/000.p/2: not found at {log} (nor the full tile tile/1/000)"
    )


def test_rewritten_log_fails_since(tmp_path: Path, signer: Signer) -> None:
    entries = [genesis(), *(signature() for _ in range(40))]
    saved = write_log(tmp_path, entries[:30], signer)
    write_log(tmp_path, entries, signer)
    assert check(tmp_path, signer, since=saved).since_size == 30  # type: ignore[attr-defined]
    entries[7] = signature()
    write_log(tmp_path, entries, signer)
    assert failure(tmp_path, signer, since=saved).startswith(
        "inconsistent with the saved checkpoint of size 30: the log was rewritten"
    )
    write_log(tmp_path, entries[:20], signer)
    assert failure(tmp_path, signer, since=saved) == (
        "inconsistent: the saved checkpoint has 30 entries, the log now only 20: "
        "entries were removed"
    )


def test_since_a_checkpoint_of_another_log_is_refused(log: Path, signer: Signer) -> None:
    other = sign_checkpoint(
        Checkpoint("other.example/log", 1, b"\x00" * 32), [Signer.generate("other.example/log")]
    )
    assert failure(log, signer, since=other).startswith("the saved checkpoint:")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([signature()], "entry 0: the letter entry must be first, and only first"),
        ([genesis(), genesis()], "entry 1: the letter entry must be first, and only first"),
        (
            [genesis(), logentries.withdrawal_entry(date=DAY, index=0)],
            "entry 1: withdrawal of index 0, not an earlier signature",
        ),
        (
            [genesis(), logentries.withdrawal_entry(date=DAY, index=2), signature()],
            "entry 1: withdrawal of index 2, not an earlier signature",
        ),
        (
            [
                genesis(),
                signature(),
                logentries.withdrawal_entry(date=DAY, index=1),
                logentries.invalidation_entry(date=DAY, indexes=[1], reason="x"),
            ],
            "entry 3: invalidation of index 1, already removed by entry 2",
        ),
        (
            [genesis(), canonical_json({"date": "2025-01-01", "name": "Ada", "type": "x"})],
            "entry 1: unknown entry type 'x'",
        ),
    ],
)
def test_meaningless_entries_are_named(
    tmp_path: Path, signer: Signer, entries: list[bytes], message: str
) -> None:
    write_log(tmp_path, entries, signer)
    assert failure(tmp_path, signer) == message


def test_receipt_is_found_and_its_secret_checked(tmp_path: Path, signer: Signer) -> None:
    secret = secrets.token_urlsafe(32)
    mine = signature("public", secret)
    write_log(tmp_path, [genesis(), signature(), mine, signature()], signer)
    receipt = {"entry": mine.decode(), "leaf_hash": leaf_hash(mine).hex(), "receipt_secret": secret}
    status = check(tmp_path, signer, receipt=receipt).receipt  # type: ignore[attr-defined]
    assert (status.index, status.counted, status.commitment_checked) == (2, True, True)
    forged = {**receipt, "receipt_secret": secrets.token_urlsafe(32)}
    assert failure(tmp_path, signer, receipt=forged) == (
        "receipt: the receipt secret does not open the entry's commitment"
    )
    stranger = signature()
    assert failure(tmp_path, signer, receipt={"entry": stranger.decode()}).startswith(
        "receipt: its entry is not in the log of 4 entries"
    )
    wrong_leaf = {"entry": mine.decode(), "leaf_hash": "00" * 32}
    assert failure(tmp_path, signer, receipt=wrong_leaf) == (
        "receipt: its leaf hash is not the hash of its entry"
    )


@functools.cache
def _issuer() -> rsa.RSAPrivateKey:
    return blindrsa.generate_private_key(tokens.KEY_BITS)


def _token(challenge: bytes) -> bytes:
    private = _issuer()
    request, state = tokens.create_token_request(challenge, private.public_key())
    response = tokens.issue_token_response(private, request)
    return tokens.finalize_token(state, response).encode()


def _anonymous(token: bytes) -> bytes:
    return logentries.signature_entry(
        tier="anonymous", date=DAY, secret=secrets.token_urlsafe(32), token=token
    )


def test_anonymous_tokens_are_verified_and_used_once(tmp_path: Path, signer: Signer) -> None:
    challenge = letter_challenge(letter_address(ORIGIN)).encode()
    spki = tokens.encode_issuer_public_key(_issuer().public_key())
    first = genesis(issuance_key=spki, token_challenge=challenge)
    token = _token(challenge)
    write_log(tmp_path, [first, _anonymous(token), _anonymous(_token(challenge))], signer)
    assert check(tmp_path, signer).counts["anonymous"] == 2  # type: ignore[attr-defined]
    write_log(tmp_path, [first, _anonymous(token), _anonymous(token)], signer)
    assert failure(tmp_path, signer) == "entry 2: this anonymous token was already used"
    forged = token[:-1] + bytes([token[-1] ^ 1])
    write_log(tmp_path, [first, _anonymous(forged)], signer)
    assert failure(tmp_path, signer).startswith("entry 1: the anonymous token does not verify")
    write_log(tmp_path, [first, signature("anonymous")], signer)
    assert failure(tmp_path, signer) == "entry 1: an anonymous signature without its token"
    expected = (
        "entry 1: an anonymous signature, but the letter's first entry publishes no issuance "
        "key to check its token against"
    )
    write_log(tmp_path, [genesis(), _anonymous(token)], signer)
    assert failure(tmp_path, signer) == expected
    write_log(tmp_path, [genesis(), signature("anonymous")], signer)
    assert failure(tmp_path, signer) == expected


def test_tokens_of_another_letter_are_refused(tmp_path: Path, signer: Signer) -> None:
    v = json.loads(VECTORS.read_text())["vectors"][0]
    vector = {k: bytes.fromhex(v[k]) for k in ("pkS", "token_challenge", "token")}
    first = genesis(issuance_key=vector["pkS"], token_challenge=vector["token_challenge"])
    write_log(tmp_path, [first, _anonymous(vector["token"])], signer)
    assert failure(tmp_path, signer) == (
        "entry 0: the token challenge is not the one of this letter"
    )


def test_directory_source_refuses_escapes_and_oversize(tmp_path: Path) -> None:
    source = DirectorySource(tmp_path)
    with pytest.raises(FetchError, match="outside the log directory"):
        source.fetch("../etc/passwd")
    (tmp_path / "checkpoint").write_bytes(b"x" * (64 * 1024 + 1))
    with pytest.raises(FetchError, match="larger than"):
        source.fetch("checkpoint")


# ---- the command line --------------------------------------------------------------------


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_counts_and_saves_the_checkpoint(
    log: Path, signer: Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "saved.checkpoint"
    code, out, err = run([str(log), "--key", signer.verifier().vkey, "--save", str(saved)], capsys)
    assert (code, err) == (0, "")
    counts = [line for line in out.splitlines() if line.startswith("count ")]
    assert counts == [
        "count public: 199",
        "count recipient: 199",
        "count counted: 199",
        "count anonymous: 0",
        "count total: 597",
    ]
    assert saved.read_text() == (log / "checkpoint").read_text()
    code, out, _ = run([str(log), "--key", signer.verifier().vkey, "--since", str(saved)], capsys)
    assert (code, out.splitlines()[-2]) == (
        0,
        "consistent with the saved checkpoint of 603 entries",
    )


def test_cli_fails_with_a_message(
    log: Path, signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    (log / "tile/0/000").write_bytes(b"\x01" * 8192)
    code, out, err = run([str(log), "--key", signer.verifier().vkey], capsys)
    assert (code, out) == (1, "")
    assert err == "FAILED: tile/0/000 does not match its hash in tile/1/000.p/2 (tile altered)\n"


def test_cli_pins_the_key_on_first_use_and_holds_it(
    log: Path,
    signer: Signer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pins = tmp_path / "pins" / "pins.json"
    monkeypatch.setenv("UNDERSIGNED_PINS", str(pins))
    code, _, err = run([str(log)], capsys)
    assert code == 0
    assert err.startswith(f"WARNING: first use of the log {ORIGIN}.")
    assert json.loads(pins.read_text())["logs"][ORIGIN]["vkey"] == signer.verifier().vkey
    code, _, err = run([str(log)], capsys)
    assert (code, err) == (0, "")
    # The server now signs with another key under the same name: the pin catches it.
    write_log(log, [genesis()], Signer.generate(ORIGIN))
    code, _, err = run([str(log)], capsys)
    expected = f"FAILED: checkpoint: not signed by the expected key {signer.verifier().vkey}\n"
    assert (code, err) == (1, expected)


def test_cli_json_output_and_receipt(
    tmp_path: Path, signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = secrets.token_urlsafe(32)
    mine = signature("counted", secret)
    log = tmp_path / "log"
    log.mkdir()
    write_log(log, [genesis(), mine, logentries.withdrawal_entry(date=DAY, index=1)], signer)
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps({"entry": mine.decode(), "receipt_secret": secret}))
    args = [str(log), "--key", signer.verifier().vkey, "--receipt", str(receipt), "--json"]
    code, out, _ = run(args, capsys)
    result = json.loads(out)
    assert (code, result["total"], result["withdrawn"]) == (0, 0, 1)
    assert result["receipt"] == {
        "index": 1,
        "counted": False,
        "removed_by": 2,
        "commitment_checked": True,
    }


def test_cli_checks_either_copy_of_the_delivered_pdf_against_the_log(
    tmp_path: Path, signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    public, private, old = b"%PDF public copy", b"%PDF recipient copy", b"%PDF one copy"
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in
           (("public", public), ("private", private), ("old", old))}  # fmt: skip
    log = tmp_path / "log"
    log.mkdir()
    entries = [
        genesis(),
        signature("recipient"),
        logentries.delivery_entry(date=DAY, pdf_hash=sha["old"], recipient="The CEO"),
        logentries.delivery_entry(
            date=DAY, pdf_hash=sha["public"], recipient="The CEO", recipient_pdf_hash=sha["private"]
        ),
    ]
    write_log(log, entries, signer)
    key = ["--key", signer.verifier().vkey]
    found = []
    for name, data in (("public", public), ("private", private), ("old", old)):
        (tmp_path / name).write_bytes(data)
        code, out, _ = run([str(log), *key, "--pdf", str(tmp_path / name), "--json"], capsys)
        found.append((code, json.loads(out)["pdf"]))
    (tmp_path / "other").write_bytes(b"%PDF another")
    code, out, err = run([str(log), *key, "--pdf", str(tmp_path / "other")], capsys)

    assert found == [
        (0, {"index": 3, "copy": "public"}),
        (0, {"index": 3, "copy": "recipient"}),
        (0, {"index": 2, "copy": "public"}),
    ]
    other = hashlib.sha256(b"%PDF another").hexdigest()
    assert (code, out, err) == (
        1,
        "",
        f"FAILED: the PDF's SHA-256 {other} is in no delivery entry of this log\n",
    )
    code, out, _ = run([str(log), *key], capsys)
    assert [line for line in out.splitlines() if "sha256" in line or "delivery" in line] == [
        "delivery   entry 2, 2025-05-01, to The CEO",
        f"  PDF (sent and published) sha256 {sha['old']}",
        "delivery   entry 3, 2025-05-01, to The CEO",
        f"  public PDF sha256 {sha['public']}",
        f"  recipient's PDF sha256 {sha['private']}",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["/nonexistent/dir"],
        ["ftp://example.org/log/"],
        ["{log}", "--key", "not-a-vkey"],
        ["{log}", "--key", "{vkey}", "--receipt", "/nonexistent/receipt.json"],
        ["{log}", "--key", "{vkey}", "--pdf", "/nonexistent/letter.pdf"],
        ["{log}", "--key", "{vkey}", "--since", "{log}/tile/0/000"],
        ["{log}", "--key", "{vkey}", "--min-witnesses", "1"],
    ],
)
def test_cli_bad_input_fails_cleanly(
    log: Path, signer: Signer, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [a.format(log=log, vkey=signer.verifier().vkey) for a in args]
    code, out, err = run(filled, capsys)
    assert (code, out, err.startswith("FAILED: "), err.count("\n")) == (1, "", True, 1)


# ---- reading over HTTP -------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[bytes, dict[str, str]]] = {}

    def do_GET(self) -> None:
        body, headers = self.routes.get(self.path, (b"", {}))
        self.send_response(200 if self.path in self.routes else 404)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def http_log() -> Iterator[tuple[str, dict[str, tuple[bytes, dict[str, str]]]]]:
    routes: dict[str, tuple[bytes, dict[str, str]]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/l/x/log/", routes
    server.shutdown()
    server.server_close()


def test_http_source_reads_a_log_and_bounds_responses(
    http_log: tuple[str, dict[str, tuple[bytes, dict[str, str]]]], tmp_path: Path, signer: Signer
) -> None:
    url, routes = http_log
    write_log(tmp_path, [genesis(), signature(), signature()], signer)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            routes[f"/l/x/log/{path.relative_to(tmp_path)}"] = (path.read_bytes(), {})
    source = HttpSource(url)
    assert check_log(source, signer.verifier()).size == 3
    routes["/l/x/log/tile/0/000.p/3"] = (b"\x00" * 9000, {})
    with pytest.raises(VerifyError, match="response larger than the 8192-byte limit"):
        check_log(source, signer.verifier())
    bomb = gzip.compress(b"\x00" * 1_000_000)
    routes["/l/x/log/checkpoint"] = (bomb, {"Content-Encoding": "gzip"})
    with pytest.raises(VerifyError, match="inflates past the 65536-byte limit"):
        check_log(source, signer.verifier())
    del routes["/l/x/log/checkpoint"]
    with pytest.raises(VerifyError, match="checkpoint: not found at"):
        check_log(source, signer.verifier())
    source.close()


def test_an_unusable_issuance_key_is_named(tmp_path: Path, signer: Signer) -> None:
    challenge = letter_challenge(letter_address(ORIGIN)).encode()
    write_log(tmp_path, [genesis(issuance_key=b"not a key", token_challenge=challenge)], signer)
    assert failure(tmp_path, signer).startswith("entry 0: the issuance key is unusable: ")
