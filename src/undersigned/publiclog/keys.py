"""The log's Ed25519 signing key, kept wrapped under a key derived from SECRET_KEY.

A copy of the database alone therefore cannot sign a checkpoint (and fork the log). Changing
SECRET_KEY keeps logs signing while the old one is in SECRET_KEY_FALLBACKS, until
`undersigned rotate-keys` re-wraps the keys (common/keys.py, docs/operations.md).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from undersigned.common.keys import Wrapping
from undersigned.crypto.note import Signer


def log_origin(slug: str) -> str:
    """`<host[:port]>/l/<slug>/log`: the scheme-less URL of the log, as tlog-tiles recommends."""
    return f"{urlsplit(settings.SITE_URL).netloc}/l/{slug}/log"


LOG_SIGNING_KEYS = Wrapping("log-signing-key")


def new_signer(origin: str) -> tuple[Signer, bytes]:
    """A fresh signer named after the origin, and its encrypted private key."""
    signer = Signer.generate(origin)
    return signer, LOG_SIGNING_KEYS.wrap(signer.skey.encode())


def load_signer(encrypted: bytes) -> Signer:
    return Signer.from_skey(LOG_SIGNING_KEYS.unwrap(bytes(encrypted)).decode())
