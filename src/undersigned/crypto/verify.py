"""Checking a letter's public log without trusting the server: the library behind `verify`.

The procedure (docs/log.md, "Verifying a log") authenticates everything from the signed
checkpoint downwards, so that a failure can name the resource that is wrong:

1. the checkpoint's signature, with a key the user supplied or pinned (and witness cosignatures);
2. the tiles on the right edge of the tree against the checkpoint's root hash;
3. every full hash tile against its hash in the (already authenticated) level above, top down;
4. every entry against its leaf hash in the level 0 tiles;
5. every entry's format and meaning: genesis first, known types, removals that name an earlier,
   still counted signature, anonymous tokens against the letter's issuance key;
6. optionally, consistency with a checkpoint saved earlier, one signer's receipt, and a copy of
   the delivered PDF against the hashes of the `delivery` entry.

No Django imports: this runs on a reporter's laptop.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import tokens
from .anonymous import letter_address, letter_challenge
from .logentries import TIERS, EntryError, LogEntry, parse_entry, receipt_commitment
from .logfetch import FetchError, Source
from .merkle import ProofError, root_from_leaf_hashes, verify_consistency, verify_inclusion
from .note import NoteError, UnverifiedNoteError, Verifier, open_checkpoint
from .tiles import TILE_WIDTH, TileError, TileReader, TileRef, decode_bundle, tiles_for_size

__all__ = ["DeliveryRecord", "LogReport", "ReceiptStatus", "VerifyError", "check_log", "match_pdf"]

_HASH = 32
_REMOVED = 0x80


class VerifyError(Exception):
    """The log does not check out; the message says what is wrong and where."""


@dataclass(frozen=True)
class ReceiptStatus:
    index: int
    counted: bool
    removed_by: int | None
    commitment_checked: bool


@dataclass(frozen=True)
class DeliveryRecord:
    """A `delivery` entry: the public PDF's hash and, since there are two copies, the recipient's.

    An entry from before the two copies has no `recipient_pdf_hash`: its one PDF was both.
    """

    index: int
    date: str
    recipient: str
    pdf_hash: str
    recipient_pdf_hash: str | None


@dataclass
class LogReport:
    location: str
    origin: str
    vkey: str
    size: int
    root: bytes
    checkpoint: str
    witnesses: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))
    # Live signatures per text version: version n + 1 is what follows the n-th amendment.
    versions: dict[int, int] = field(default_factory=lambda: {1: 0})
    withdrawn: int = 0
    invalidated: int = 0
    tiles: int = 0
    since_size: int | None = None
    receipt: ReceiptStatus | None = None
    deliveries: list[DeliveryRecord] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _fetch(source: Source, path: str) -> bytes:
    try:
        return source.fetch(path)
    except FetchError as exc:
        raise VerifyError(f"cannot fetch {exc}") from exc


def _open(text: bytes | str, verifier: Verifier, witnesses: list[Verifier], what: str) -> Any:
    try:
        return open_checkpoint(text, verifier, witnesses=witnesses)
    except UnverifiedNoteError as exc:
        # Typically the key changed: say which key was expected, not only that none matched.
        raise VerifyError(f"{what}: not signed by the expected key {verifier.vkey}") from exc
    except NoteError as exc:
        raise VerifyError(f"{what}: {exc}") from exc


def _hash_tiles(source: Source, size: int) -> dict[str, bytes]:
    refs = tiles_for_size(size, entries=False)
    tiles: dict[str, bytes] = {}
    try:
        for ref, data in zip(refs, source.fetch_tiles(refs), strict=True):
            if len(data) != ref.width * _HASH:
                raise VerifyError(f"{ref.path} is {len(data)} bytes, want {ref.width * _HASH}")
            tiles[ref.path] = data
    except FetchError as exc:
        raise VerifyError(f"cannot fetch {exc}") from exc
    return tiles


def _split(data: bytes) -> list[bytes]:
    return [data[i : i + _HASH] for i in range(0, len(data), _HASH)]


def _tile_ref(level: int, index: int, size: int) -> TileRef:
    count = size >> (8 * level)
    return TileRef(level, index, min(TILE_WIDTH, count - index * TILE_WIDTH))


def _level_bytes(tiles: Mapping[str, bytes], level: int, size: int) -> bytes:
    count = size >> (8 * level)
    refs = [TileRef(level, i) for i in range(count // TILE_WIDTH)]
    if count % TILE_WIDTH:
        refs.append(TileRef(level, count // TILE_WIDTH, count % TILE_WIDTH))
    return b"".join(tiles[ref.path] for ref in refs)


def _check_tree(tiles: Mapping[str, bytes], size: int, root: bytes) -> TileReader:
    reader = TileReader(size, tiles.__getitem__)
    calculated = reader.root()
    if calculated != root:
        edge = sorted(path for path in tiles if ".p/" in path) or sorted(tiles)[-1:]
        raise VerifyError(
            f"root mismatch: the tiles at the right edge of the tree ({', '.join(edge)}) give "
            f"root {calculated.hex()}, the signed checkpoint says {root.hex()}"
        )
    top = 0
    while size >> (8 * (top + 1)):
        top += 1
    # Top down, each level's hashes are already authenticated when the level below is checked,
    # so a mismatch is the fault of the lower tile.
    for level in range(top - 1, -1, -1):
        parents = _level_bytes(tiles, level + 1, size)
        for n in range((size >> (8 * level)) // TILE_WIDTH):
            path = TileRef(level, n).path
            if root_from_leaf_hashes(_split(tiles[path])) != parents[n * _HASH : (n + 1) * _HASH]:
                above = _tile_ref(level + 1, n // TILE_WIDTH, size).path
                raise VerifyError(f"{path} does not match its hash in {above} (tile altered)")
    return reader


class _Ledger:
    """What the entries say: counts per tier, which signatures were removed, by what."""

    def __init__(self, size: int, report: LogReport) -> None:
        self.kinds = bytearray(size)  # 1 + tier position for signatures, | _REMOVED once removed
        self.removed_by: dict[int, int] = {}
        self.report = report
        self.issuer: tuple[tokens.IssuerPublicKey, bytes] | None = None
        self.nonces: set[bytes] = set()
        # Indexes of amendment entries, ascending: a signature's version is found by bisection.
        self.amendments: list[int] = []

    def version_of(self, index: int) -> int:
        return bisect.bisect_right(self.amendments, index) + 1

    def add(self, index: int, data: bytes) -> LogEntry:
        try:
            entry = parse_entry(data)
        except EntryError as exc:
            raise VerifyError(f"entry {index}: {exc}") from exc
        if (index == 0) != (entry.type == "letter"):
            raise VerifyError(f"entry {index}: the letter entry must be first, and only first")
        if entry.type == "letter":
            self._genesis(entry)
        elif entry.type == "signature":
            self._signature(index, entry)
        elif entry.type == "amendment":
            self.amendments.append(index)
            self.report.versions[len(self.amendments) + 1] = 0
        elif entry.type == "delivery":
            body = entry.body or {}
            self.report.deliveries.append(
                DeliveryRecord(
                    index,
                    entry.date,
                    body["recipient"],
                    body["pdf_hash"],
                    body.get("recipient_pdf_hash"),
                )
            )
        elif entry.refs:
            self._removal(index, entry)
        return entry

    def _genesis(self, entry: LogEntry) -> None:
        body = entry.body or {}
        if not body.get("issuance_key"):
            return
        challenge = base64.b64decode(body["token_challenge"])
        # Tokens must answer a challenge naming this very letter, or one letter's tokens could
        # be replayed into another letter's log (crypto/anonymous.py).
        try:
            expected = letter_challenge(letter_address(self.report.origin)).encode()
        except ValueError as exc:
            raise VerifyError(f"entry 0: {exc}") from exc
        if challenge != expected:
            raise VerifyError("entry 0: the token challenge is not the one of this letter")
        try:
            # Parsed once: every anonymous entry is checked against it.
            key = tokens.IssuerPublicKey.from_spki(base64.b64decode(body["issuance_key"]))
        except tokens.TokenError as exc:
            raise VerifyError(f"entry 0: the issuance key is unusable: {exc}") from exc
        self.issuer = (key, challenge)

    def _signature(self, index: int, entry: LogEntry) -> None:
        tier = entry.tier or ""
        if tier == "anonymous":
            self._token(index, entry.token)
        self.kinds[index] = 1 + TIERS.index(tier)
        self.report.counts[tier] += 1
        self.report.versions[len(self.amendments) + 1] += 1

    def _token(self, index: int, token: bytes | None) -> None:
        if self.issuer is None:
            # Otherwise an operator could publish a letter without a key and then add anonymous
            # signatures that nobody can check.
            raise VerifyError(
                f"entry {index}: an anonymous signature, but the letter's first entry publishes "
                "no issuance key to check its token against"
            )
        if token is None:
            raise VerifyError(f"entry {index}: an anonymous signature without its token")
        try:
            parsed = tokens.verify_token(token, self.issuer[0], self.issuer[1])
        except tokens.TokenError as exc:
            raise VerifyError(f"entry {index}: the anonymous token does not verify: {exc}") from exc
        if parsed.nonce in self.nonces:
            raise VerifyError(f"entry {index}: this anonymous token was already used")
        self.nonces.add(parsed.nonce)

    def _removal(self, index: int, entry: LogEntry) -> None:
        for ref in entry.refs:
            kind = self.kinds[ref] if ref < index else 0
            if not kind & ~_REMOVED:
                raise VerifyError(
                    f"entry {index}: {entry.type} of index {ref}, not an earlier signature"
                )
            if kind & _REMOVED:
                raise VerifyError(
                    f"entry {index}: {entry.type} of index {ref}, already removed by entry "
                    f"{self.removed_by[ref]}"
                )
            self.kinds[ref] = kind | _REMOVED
            self.removed_by[ref] = index
            self.report.counts[TIERS[kind - 1]] -= 1
            self.report.versions[self.version_of(ref)] -= 1
            if entry.type == "withdrawal":
                self.report.withdrawn += 1
            else:
                self.report.invalidated += 1


def _check_entries(source: Source, size: int, level0: bytes, ledger: _Ledger) -> None:
    refs = [ref for ref in tiles_for_size(size) if ref.level is None]
    sha256 = hashlib.sha256
    try:
        for ref, bundle in zip(refs, source.fetch_tiles(refs), strict=True):
            try:
                entries = decode_bundle(bundle, ref.width)
            except TileError as exc:
                raise VerifyError(f"{ref.path}: {exc}") from exc
            first = ref.index * TILE_WIDTH
            for offset, data in enumerate(entries):
                i = first + offset
                if sha256(b"\x00" + data).digest() != level0[i * _HASH : (i + 1) * _HASH]:
                    tile = TileRef(0, ref.index, ref.width).path
                    raise VerifyError(
                        f"entry {i} (in {ref.path}) does not match its leaf hash in {tile} "
                        "(entry altered)"
                    )
                ledger.add(i, data)
    except FetchError as exc:
        raise VerifyError(f"cannot fetch {exc}") from exc


def _check_since(saved: str, verifier: Verifier, reader: TileReader, report: LogReport) -> None:
    old, _ = _open(saved, verifier, [], "the saved checkpoint")
    if old.size > report.size:
        raise VerifyError(
            f"inconsistent: the saved checkpoint has {old.size} entries, the log now only "
            f"{report.size}: entries were removed"
        )
    try:
        proof = reader.consistency_proof(old.size) if old.size else []
        verify_consistency(old.size, report.size, proof, old.root_hash, report.root)
    except ProofError as exc:
        raise VerifyError(
            f"inconsistent with the saved checkpoint of size {old.size}: the log was rewritten "
            f"({exc})"
        ) from exc
    report.since_size = old.size


def _check_receipt(
    receipt: Mapping[str, Any], level0: bytes, ledger: _Ledger, reader: TileReader
) -> ReceiptStatus:
    text = receipt.get("entry")
    if not isinstance(text, str):
        raise VerifyError("receipt: it has no entry")
    data = text.encode("utf-8")
    try:
        entry = parse_entry(data)
    except EntryError as exc:
        raise VerifyError(f"receipt: its entry is not a log entry: {exc}") from exc
    leaf = hashlib.sha256(b"\x00" + data).digest()
    given = receipt.get("leaf_hash")
    if given is not None and given != leaf.hex():
        raise VerifyError("receipt: its leaf hash is not the hash of its entry")
    secret = receipt.get("receipt_secret")
    if secret is not None and (
        not isinstance(secret, str) or entry.commitment != receipt_commitment(secret)
    ):
        raise VerifyError("receipt: the receipt secret does not open the entry's commitment")
    pos = level0.find(leaf)
    while pos > 0 and pos % _HASH:
        pos = level0.find(leaf, pos + 1)
    if pos < 0:
        raise VerifyError(
            f"receipt: its entry is not in the log of {reader.size} entries (an entry is added "
            "at the next checkpoint, usually within minutes of signing)"
        )
    index = pos // _HASH
    try:
        root = reader.root()
        verify_inclusion(leaf, index, reader.size, reader.inclusion_proof(index), root)
    except ProofError as exc:
        raise VerifyError(f"receipt: inclusion proof for entry {index} fails: {exc}") from exc
    removed = ledger.removed_by.get(index)
    counted = entry.type == "signature" and removed is None
    return ReceiptStatus(index, counted, removed, bool(secret))


def check_log(
    source: Source,
    verifier: Verifier,
    *,
    witnesses: Iterable[Verifier] = (),
    min_witnesses: int = 0,
    since: str | None = None,
    receipt: Mapping[str, Any] | None = None,
) -> LogReport:
    """Check the whole log at ``source`` with ``verifier``; raise VerifyError if anything fails."""
    witness_list = list(witnesses)
    text = _fetch(source, "checkpoint")
    checkpoint, note = _open(text, verifier, witness_list, "checkpoint")
    known = {(w.name, w.key_id) for w in witness_list}
    cosigners = tuple(s.name for s in note.signatures if (s.name, s.key_id) in known)
    if len(cosigners) < min_witnesses:
        raise VerifyError(
            f"checkpoint has {len(cosigners)} witness cosignatures, at least {min_witnesses} needed"
        )
    report = LogReport(
        source.location,
        checkpoint.origin,
        verifier.vkey,
        checkpoint.size,
        checkpoint.root_hash,
        text.decode("utf-8"),
        cosigners,
    )
    tiles = _hash_tiles(source, checkpoint.size)
    report.tiles = len(tiles)
    reader = _check_tree(tiles, checkpoint.size, checkpoint.root_hash)
    level0 = _level_bytes(tiles, 0, checkpoint.size)
    ledger = _Ledger(checkpoint.size, report)
    _check_entries(source, checkpoint.size, level0, ledger)
    if since is not None:
        _check_since(since, verifier, reader, report)
    if receipt is not None:
        report.receipt = _check_receipt(receipt, level0, ledger, reader)
    return report


def match_pdf(report: LogReport, pdf: bytes) -> tuple[DeliveryRecord, str]:
    """The delivery entry naming this PDF, and which copy it is: "public" or "recipient".

    A delivery entry from before the two copies names one PDF, sent and published: "public".
    """
    digest = hashlib.sha256(pdf).hexdigest()
    for record in report.deliveries:
        if record.pdf_hash == digest:
            return record, "public"
        if record.recipient_pdf_hash == digest:
            return record, "recipient"
    raise VerifyError(f"the PDF's SHA-256 {digest} is in no delivery entry of this log")
