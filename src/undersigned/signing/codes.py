"""Every secret a signer handles: verification codes, link tokens, receipts and invite codes.

Codes and link tokens are derived from a per-verification nonce with the server secret, so they
can be resent without being stored, and a stolen database alone cannot produce them. Receipts and
invite codes are random and only their hashes are kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

CODE_DIGITS = 8
# No 0/O, 1/I/L and no U: nothing a person could misread on a printed slip.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
INVITE_LENGTH = 12
INVITE_GROUP = 4
# The hash keys domain-separate invite codes from mailboxes under the same letter key.
_INVITE_CONTEXT = b"undersigned:invite:"


def _server_mac(label: str, nonce: str) -> bytes:
    message = f"undersigned:{label}:{nonce}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def verification_code(nonce: str) -> str:
    """The 8-digit code for a verification; the modulo bias of 2**64 over 10**8 is negligible."""
    number = int.from_bytes(_server_mac("code", nonce)[:8], "big") % 10**CODE_DIGITS
    return str(number).zfill(CODE_DIGITS)


def link_token(nonce: str) -> str:
    return base64.urlsafe_b64encode(_server_mac("link", nonce)).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def codes_match(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def new_receipt_secret() -> str:
    return secrets.token_urlsafe(32)


def receipt_secret_for(nonce: str) -> str:
    """The receipt secret of the signature a verification confirms, derived so that confirming
    again with the same code or link (after a lost response) hands back the same receipt.

    Same length and alphabet as new_receipt_secret(); a database copy alone cannot compute it.
    """
    return base64.urlsafe_b64encode(_server_mac("receipt", nonce)).decode().rstrip("=")


def receipt_lookup_hash(secret: str) -> str:
    """The server's look-up key for a receipt secret (the `receipt_commitment` column), unrelated
    to the commitment published in the log (crypto.logentries.receipt_commitment)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_invite_code() -> str:
    raw = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    return "-".join(raw[i : i + INVITE_GROUP] for i in range(0, INVITE_LENGTH, INVITE_GROUP))


def normalize_invite_code(value: str) -> str | None:
    """Upper-case, without spaces or dashes; None if it cannot be one of our codes."""
    compact = "".join(value.split()).replace("-", "").replace("\u2010", "").upper()
    if len(compact) != INVITE_LENGTH or any(c not in INVITE_ALPHABET for c in compact):
        return None
    return compact


def invite_code_hash(*, key: bytes, code: str) -> str:
    return hmac.new(key, _INVITE_CONTEXT + code.encode(), hashlib.sha256).hexdigest()


def signature_link_token(signature_id: int, purpose: str) -> str:
    """A token naming one signature for one purpose ("unsubscribe", "reconfirm:3"), for links in
    messages to that signer. Derived, never stored; the id is only the signer's own."""
    mac = base64.urlsafe_b64encode(_server_mac(purpose, str(signature_id))[:18]).decode()
    return f"{signature_id}.{mac}"


def signature_link_id(token: str, purpose: str) -> int | None:
    """The signature id a token from signature_link_token names, or None if it is not genuine."""
    head, _, _ = token.partition(".")
    if not head.isascii() or not head.isdigit() or len(head) > 18:
        return None
    expected = signature_link_token(int(head), purpose)
    return int(head) if codes_match(token, expected) else None
