"""C2SP tlog-proof@v1: an offline-verifiable receipt that an entry is in a signed checkpoint.

::

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <N>
    <base64 inclusion proof hash, one per line, leaf sibling first>

    <signed checkpoint note, verbatim>
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .merkle import HASH_SIZE, verify_inclusion
from .note import (
    Checkpoint,
    Note,
    NoteError,
    UnverifiedNoteError,
    Verifier,
    b64decode_strict,
    open_checkpoint,
    parse_note,
)

__all__ = [
    "PROOF_HEADER",
    "MalformedProofError",
    "TlogProof",
    "VerifiedProof",
    "build_proof",
    "parse_proof",
    "verify_proof",
]

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_INDEX_RE = re.compile(r"index (0|[1-9][0-9]{0,19})")


class MalformedProofError(NoteError):
    """The text is not a well-formed tlog-proof@v1."""


@dataclass(frozen=True)
class TlogProof:
    """A parsed (not yet verified) tlog-proof."""

    index: int
    inclusion: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.inclusion)
        return "\n".join(lines) + "\n\n" + self.checkpoint


def build_proof(
    index: int, inclusion: Sequence[bytes], signed_checkpoint: str, extra: bytes | None = None
) -> str:
    """Format a tlog-proof from an index, its inclusion proof and the signed checkpoint note."""
    if not 0 <= index < 2**64:
        raise MalformedProofError(f"index {index} is out of range")
    if any(len(h) != HASH_SIZE for h in inclusion):
        raise MalformedProofError("inclusion proof hashes must be 32 bytes")
    try:
        parse_note(signed_checkpoint)
    except NoteError as exc:
        raise MalformedProofError(f"checkpoint is not a signed note: {exc}") from exc
    return TlogProof(index, tuple(inclusion), signed_checkpoint, extra).text()


def parse_proof(data: str | bytes) -> TlogProof:
    """Parse tlog-proof text strictly; the checkpoint is checked only for note syntax here."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedProofError("proof is not valid UTF-8") from exc
    head, sep, checkpoint = data.partition("\n\n")
    if not sep:
        raise MalformedProofError("proof has no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise MalformedProofError(f"proof must start with {PROOF_HEADER!r}")
    pos = 1
    extra = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        try:
            extra = b64decode_strict(lines[pos].removeprefix("extra "), "extra data")
        except NoteError as exc:
            raise MalformedProofError(str(exc)) from exc
        pos += 1
    m = _INDEX_RE.fullmatch(lines[pos]) if pos < len(lines) else None
    if m is None:
        raise MalformedProofError("proof needs an 'index <N>' line after the header")
    hashes = []
    for line in lines[pos + 1 :]:
        try:
            h = b64decode_strict(line, "inclusion proof hash")
        except NoteError as exc:
            raise MalformedProofError(str(exc)) from exc
        if len(h) != HASH_SIZE:
            raise MalformedProofError("inclusion proof hashes must be 32 bytes")
        hashes.append(h)
    try:
        parse_note(checkpoint)
    except NoteError as exc:
        raise MalformedProofError(f"checkpoint is not a signed note: {exc}") from exc
    return TlogProof(int(m.group(1)), tuple(hashes), checkpoint, extra)


@dataclass(frozen=True)
class VerifiedProof:
    """What a verified tlog-proof establishes."""

    index: int
    checkpoint: Checkpoint
    note: Note
    witnesses: tuple[str, ...]
    extra: bytes | None


def verify_proof(
    data: str | bytes,
    leaf_hash: bytes,
    log_verifier: Verifier,
    *,
    origin: str | None = None,
    witnesses: Iterable[Verifier] = (),
    min_witnesses: int = 0,
) -> VerifiedProof:
    """Verify a tlog-proof for ``leaf_hash`` per the spec's four steps.

    Raises MalformedProofError, a NoteError (bad or missing signatures, wrong origin, too few
    witness cosignatures) or merkle.ProofError (the inclusion proof does not match the root).
    ``extra`` is returned but, being unauthenticated, is not trusted for anything here.
    """
    proof = parse_proof(data)
    witness_list = list(witnesses)
    checkpoint, note = open_checkpoint(
        proof.checkpoint, log_verifier, origin=origin, witnesses=witness_list
    )
    witness_keys = {(w.name, w.key_id) for w in witness_list}
    witness_keys.discard((log_verifier.name, log_verifier.key_id))
    cosigned = tuple(s.name for s in note.signatures if (s.name, s.key_id) in witness_keys)
    if len(cosigned) < min_witnesses:
        raise UnverifiedNoteError(
            f"checkpoint has {len(cosigned)} witness cosignatures, policy needs {min_witnesses}"
        )
    verify_inclusion(leaf_hash, proof.index, checkpoint.size, proof.inclusion, checkpoint.root_hash)
    return VerifiedProof(proof.index, checkpoint, note, cosigned, proof.extra)
