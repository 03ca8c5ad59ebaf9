"""A database thief's search: every key-like value in a dump, tried as a letter's HMAC key.

The dump is text (`sqlite3`'s iterdump or `pg_dump`): blobs appear as hex (X'...' or \\x...),
keys kept as text would appear as hex or base64. Every hex run of 64 digits or more and every
base64 run of 43 characters or more is decoded, at every alignment, and every 32-byte window of
the decoded bytes (the length of a mailbox key) is tried, so a key buried inside a larger value
is found too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator

KEY_BYTES = 32
HEX_RUN = re.compile(r"[0-9a-fA-F]{64,}")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{43,}")
# Both base64 alphabets at once: url-safe characters read as the standard ones.
_URLSAFE = str.maketrans("-_", "+/")
HASH = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


def _windows(data: bytes) -> Iterator[bytes]:
    if len(data) <= KEY_BYTES:
        yield data
        return
    for start in range(len(data) - KEY_BYTES + 1):
        yield data[start : start + KEY_BYTES]


def _hex_decodings(run: str) -> Iterator[bytes]:
    for start in (0, 1):
        digits = run[start:]
        yield bytes.fromhex(digits[: len(digits) // 2 * 2])


def _base64_decodings(run: str) -> Iterator[bytes]:
    text = run.translate(_URLSAFE)
    for start in range(4):
        chunk = text[start:]
        chunk = chunk[: len(chunk) // 4 * 4]
        try:
            yield base64.b64decode(chunk, validate=True)
        except binascii.Error:
            continue


def candidate_keys(dump: str) -> set[bytes]:
    candidates: set[bytes] = set()
    for match in HEX_RUN.finditer(dump):
        for data in _hex_decodings(match.group()):
            candidates.update(_windows(data))
    for match in BASE64_RUN.finditer(dump):
        for data in _base64_decodings(match.group()):
            candidates.update(_windows(data))
    return candidates


def stored_hashes(dump: str) -> set[str]:
    """Every 64-digit hex value in the dump: the mailbox hashes are among them."""
    return {
        match.lower()
        for match in re.findall(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])", dump)
    }


def mailboxes_resolved(dump: str, mailboxes: Iterable[str]) -> set[str]:
    """The mailboxes whose HMAC under some value of the dump is a hash the dump stores."""
    wanted = [(mailbox, mailbox.encode()) for mailbox in mailboxes]
    hashes = stored_hashes(dump)
    found: set[str] = set()
    for key in candidate_keys(dump):
        for mailbox, message in wanted:
            if hmac.new(key, message, hashlib.sha256).hexdigest() in hashes:
                found.add(mailbox)
    return found
