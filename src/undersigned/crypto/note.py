"""C2SP signed notes (Ed25519), tlog-checkpoints and tlog-cosignature/v1 (timestamped Ed25519).

A note is text ending in a newline, a blank line, then signature lines
``— <key name> base64(key ID || signature)``. Verifiers are matched by (name, key ID); signatures
from unknown keys are kept aside unverified, as the spec requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "SIG_COSIGNATURE_V1",
    "SIG_ED25519",
    "Checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "InvalidSignatureError",
    "MalformedNoteError",
    "Note",
    "NoteError",
    "NoteSignature",
    "Signer",
    "UnverifiedNoteError",
    "Verifier",
    "add_signatures",
    "b64decode_strict",
    "cosignature_timestamp",
    "format_note",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
    "verifier_from_vkey",
]

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100  # The spec asks verifiers to cap signatures and to accept at least 16.
_MAX_TIMESTAMP = 2**63 - 1
_DASH = "\u2014 "


class NoteError(ValueError):
    """Base class for note, key and checkpoint errors."""


class MalformedNoteError(NoteError):
    """The note, key or checkpoint text does not follow the format."""


class InvalidSignatureError(NoteError):
    """A signature from a known key failed to verify, so the whole note is rejected."""


class UnverifiedNoteError(NoteError):
    """No signature from a required known key verified."""


def b64decode_strict(text: str, what: str = "base64") -> bytes:
    """Standard padded base64, rejecting whitespace, junk and non-canonical trailing bits."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedNoteError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedNoteError(f"{what} is not canonical base64")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise MalformedNoteError(f"invalid key name {name!r}: empty, or has spaces or '+'")


def _check_text(text: str) -> None:
    if any(c < " " and c != "\n" for c in text):
        raise MalformedNoteError("note contains ASCII control characters")


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """Key ID = first 4 bytes (big-endian) of SHA-256(name || 0x0A || type || public key)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _cosigned_message(msg: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp + msg


class Verifier:
    """Ed25519 note verifier (signature type 0x01)."""

    sig_type = SIG_ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_name(name)
        if len(public_key) != 32:
            raise MalformedNoteError("Ed25519 public key must be 32 bytes")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.sig_type, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    @property
    def vkey(self) -> str:
        """``name+hex(key ID)+base64(type || public key)``."""
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([self.sig_type]) + self.public_key)}"

    def _verify_ed25519(self, msg: bytes, sig: bytes) -> bool:
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True

    def verify(self, msg: bytes, sig: bytes) -> bool:
        return len(sig) == 64 and self._verify_ed25519(msg, sig)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class CosignatureVerifier(Verifier):
    """tlog-cosignature/v1 verifier (type 0x04): 8-byte timestamp, then Ed25519 signature."""

    sig_type = SIG_COSIGNATURE_V1

    def verify(self, msg: bytes, sig: bytes) -> bool:
        if len(sig) != 72:
            return False
        timestamp = int.from_bytes(sig[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return self._verify_ed25519(_cosigned_message(msg, timestamp), sig[8:])


def verifier_from_vkey(vkey: str) -> Verifier:
    """Parse a vkey; type 0x01 gives a Verifier, type 0x04 a CosignatureVerifier."""
    # Only the base64 part may contain "+": names cannot and the key ID is hex.
    parts = vkey.split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise MalformedNoteError(f"malformed vkey {vkey!r}")
    name, hex_id, b64 = parts
    raw = b64decode_strict(b64, "vkey key material")
    kinds: dict[int, type[Verifier]] = {
        SIG_ED25519: Verifier,
        SIG_COSIGNATURE_V1: CosignatureVerifier,
    }
    if not raw or raw[0] not in kinds:
        raise MalformedNoteError("vkey has an unsupported signature type")
    verifier = kinds[raw[0]](name, raw[1:])
    if verifier.key_id != int(hex_id, 16):
        raise MalformedNoteError("vkey key ID does not match its name and key")
    return verifier


class Signer:
    """Ed25519 note signer (signature type 0x01)."""

    sig_type = SIG_ED25519
    _verifier_class: type[Verifier] = Verifier

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self.name = name
        self._private = private_key
        public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._verifier = self._verifier_class(name, public)
        self.key_id = self._verifier.key_id

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        """Parse ``PRIVATE+KEY+name+hex(key ID)+base64(type || seed)``, as Go's sumdb/note."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise MalformedNoteError("malformed signer key")
        raw = b64decode_strict(parts[4], "signer key material")
        if len(raw) != 33 or raw[0] != cls.sig_type:
            raise MalformedNoteError("signer key has the wrong type or length")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if parts[3] != f"{signer.key_id:08x}":
            raise MalformedNoteError("signer key ID does not match its name and key")
        return signer

    @property
    def skey(self) -> str:
        seed = self._private.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{_b64(bytes([self.sig_type]) + seed)}"

    def verifier(self) -> Verifier:
        return self._verifier

    def sign(self, msg: bytes) -> bytes:
        return self._private.sign(msg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.key_id:08x})"


class CosignatureSigner(Signer):
    """tlog-cosignature/v1 signer; ``clock`` gives the POSIX timestamp to sign."""

    sig_type = SIG_COSIGNATURE_V1
    _verifier_class = CosignatureVerifier

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        super().__init__(name, private_key)
        self.clock = clock

    def sign(self, msg: bytes) -> bytes:
        timestamp = self.clock()
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise NoteError(f"cosignature timestamp {timestamp} is out of range")
        signature = self._private.sign(_cosigned_message(msg, timestamp))
        return timestamp.to_bytes(8, "big") + signature


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        return f"{_DASH}{self.name} {_b64(self.key_id.to_bytes(4, 'big') + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text, the verified signatures and those from unknown keys."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def parse_note(data: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into text and signatures without verifying anything."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNoteError("note is not valid UTF-8") from exc
    _check_text(data)
    split = data.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("note signatures must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        name, sep, b64 = line.removeprefix(_DASH).partition(" ")
        if not line.startswith(_DASH) or not sep:
            raise MalformedNoteError(f"malformed signature line {line!r}")
        _check_name(name)
        raw = b64decode_strict(b64, "signature")
        if len(raw) < 5:
            raise MalformedNoteError("signature is too short")
        sigs.append(NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, sigs


def format_note(text: str, signatures: Iterable[NoteSignature]) -> str:
    """Assemble a signed note from its text and signature lines."""
    lines = "".join(sig.line for sig in signatures)
    if not lines:
        raise MalformedNoteError("a signed note needs at least one signature")
    return f"{text}\n{lines}"


def sign_note(text: str, signers: Iterable[Signer]) -> str:
    """Sign ``text`` (which must end in a newline) with each signer."""
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    _check_text(text)
    msg = text.encode("utf-8")
    return format_note(text, [NoteSignature(s.name, s.key_id, s.sign(msg)) for s in signers])


def add_signatures(note: str, signers: Iterable[Signer]) -> str:
    """Append signatures (e.g. witness cosignatures) to an already signed note."""
    text, sigs = parse_note(note)
    msg = text.encode("utf-8")
    for signer in signers:
        sigs = [s for s in sigs if (s.name, s.key_id) != (signer.name, signer.key_id)]
        sigs.append(NoteSignature(signer.name, signer.key_id, signer.sign(msg)))
    return format_note(text, sigs)


def open_note(data: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Verify a note: every known key's signature must verify, and at least one must exist."""
    known: dict[tuple[str, int], list[Verifier]] = {}
    for v in verifiers:
        known.setdefault((v.name, v.key_id), []).append(v)
    text, sigs = parse_note(data)
    msg = text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in sigs:
        candidates = known.get((sig.name, sig.key_id), [])
        if not candidates:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if len(candidates) > 1:
            # Like Go's note package: ambiguity only matters once a signature needs the key.
            raise NoteError(f"several verifiers for {sig.name!r} with key ID {sig.key_id:08x}")
        # The spec says a known key's signature MUST be verified, so repeats are checked too
        # (Go skips them), but they are listed once.
        if not candidates[0].verify(msg, sig.signature):
            raise InvalidSignatureError(f"signature from {sig.name!r} does not verify")
        if all((s.name, s.key_id) != (sig.name, sig.key_id) for s in verified):
            verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("note has no verified signature from a known key")
    return Note(text, tuple(verified), tuple(unverified))


def cosignature_timestamp(sig: NoteSignature) -> int:
    """The POSIX timestamp a tlog-cosignature/v1 signature commits to."""
    if len(sig.signature) != 72:
        raise MalformedNoteError("not a cosignature/v1 signature")
    return int.from_bytes(sig.signature[:8], "big")


_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise MalformedNoteError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size < 2**64:
            raise MalformedNoteError(f"checkpoint size {self.size} is out of range")
        if len(self.root_hash) != 32:
            raise MalformedNoteError("checkpoint root hash must be 32 bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise MalformedNoteError("checkpoint extension lines must be single non-empty lines")
        _check_text(self.origin + "".join(self.extensions))

    def text(self) -> str:
        """The note text, ending in a newline."""
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise MalformedNoteError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedNoteError("checkpoint needs origin, size and root hash lines")
        origin, size, root, *extensions = lines
        if not _SIZE_RE.fullmatch(size):
            raise MalformedNoteError(f"malformed checkpoint tree size {size!r}")
        return cls(origin, int(size), b64decode_strict(root, "root hash"), tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Iterable[Signer]) -> str:
    """Signed note for a checkpoint."""
    return sign_note(checkpoint.text(), signers)


def open_checkpoint(
    data: str | bytes,
    log_verifier: Verifier,
    *,
    origin: str | None = None,
    witnesses: Iterable[Verifier] = (),
) -> tuple[Checkpoint, Note]:
    """Verify a checkpoint signed by ``log_verifier`` and parse it.

    ``origin`` defaults to the log key's name. Witness signatures that are present are verified
    (a bad one rejects the note); how many are required is the caller's policy, read from
    ``Note.signatures``.
    """
    note = open_note(data, [log_verifier, *witnesses])
    if not any(
        (s.name, s.key_id) == (log_verifier.name, log_verifier.key_id) for s in note.signatures
    ):
        raise UnverifiedNoteError(f"checkpoint is not signed by the log key {log_verifier.name!r}")
    checkpoint = Checkpoint.parse(note.text)
    expected = log_verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise UnverifiedNoteError(f"checkpoint origin {checkpoint.origin!r}, want {expected!r}")
    return checkpoint, note
