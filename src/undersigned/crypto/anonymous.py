"""How undersigned binds Privacy Pass tokens to one letter (docs/anonymous.md).

Every letter has its own issuance key, and its tokens answer a TokenChallenge (RFC 9577) that
names the letter: issuer_name and origin_info are the site's host, and redemption_context is
SHA-256 of a label and the letter's address `<host>/l/<slug>/`. The log's origin line is that
address followed by `log`, so anyone checking a log can recompute the challenge its tokens must
answer. No Django imports: the server, `undersigned sign` and `undersigned verify` share this.
"""

from __future__ import annotations

import hashlib

from .tokens import TOKEN_TYPE_BLIND_RSA, TokenChallenge

__all__ = ["CONTEXT_LABEL", "letter_address", "letter_challenge"]

CONTEXT_LABEL = b"undersigned/token-context/v1\n"


def letter_address(origin: str) -> str:
    """The letter's address `<host>/l/<slug>/` from its log origin `<host>/l/<slug>/log`."""
    if not origin.endswith("/log") or "/l/" not in origin:
        raise ValueError(f"{origin!r} is not the origin of a letter's log")
    return origin[: -len("log")]


def letter_challenge(address: str) -> TokenChallenge:
    """The challenge of the letter at `address` (`<host>/l/<slug>/`)."""
    host = address.split("/", 1)[0]
    context = hashlib.sha256(CONTEXT_LABEL + address.encode("utf-8")).digest()
    return TokenChallenge(TOKEN_TYPE_BLIND_RSA, host, context, host)
