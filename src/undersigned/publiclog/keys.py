"""The log's Ed25519 signing key, kept encrypted under a key derived from SECRET_KEY.

A copy of the database alone therefore cannot sign a checkpoint (and fork the log). The price:
changing SECRET_KEY makes existing logs unable to sign; docs/log.md says so.
"""

from __future__ import annotations

import base64
import functools
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from undersigned.crypto.note import Signer


def log_origin(slug: str) -> str:
    """`<host[:port]>/l/<slug>/log`: the scheme-less URL of the log, as tlog-tiles recommends."""
    return f"{urlsplit(settings.SITE_URL).netloc}/l/{slug}/log"


@functools.lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"undersigned:log-signing-key"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def new_signer(origin: str) -> tuple[Signer, bytes]:
    """A fresh signer named after the origin, and its encrypted private key."""
    signer = Signer.generate(origin)
    return signer, _fernet(settings.SECRET_KEY).encrypt(signer.skey.encode())


def load_signer(encrypted: bytes) -> Signer:
    return Signer.from_skey(_fernet(settings.SECRET_KEY).decrypt(bytes(encrypted)).decode())
