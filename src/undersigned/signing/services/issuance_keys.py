"""A letter's issuance key for anonymous tokens: made when the letter opens, destroyed with its
secrets when it is archived (docs/anonymous.md).

The private key is stored wrapped under a key derived from SECRET_KEY (common/keys.py), so a copy
of the database alone cannot mint tokens. The public half and the TokenChallenge stay forever: the
log's genesis entry publishes them and every anonymous entry is checked against them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction

from undersigned.common.keys import Wrapping, environment_secrets
from undersigned.crypto import blindrsa, tokens
from undersigned.crypto.anonymous import letter_challenge
from undersigned.letters.models import Letter
from undersigned.signing.models import IssuanceKey


def token_challenge_for(letter: Letter) -> tokens.TokenChallenge:
    """The challenge the letter's tokens answer: its address `<host>/l/<slug>/`, bound in.

    The same address begins the log's origin line (publiclog/keys.py), which is how a verifier
    recomputes it (crypto/anonymous.py). A token of one letter is refused by every other.
    """
    return letter_challenge(f"{urlsplit(settings.SITE_URL).netloc}/l/{letter.slug}/")


ISSUANCE_KEYS = Wrapping("issuance-key")


def issuance_key_create(*, letter: Letter) -> IssuanceKey:
    """The letter's key, generated on first use; a no-op when it exists (even if destroyed)."""
    existing = IssuanceKey.objects.filter(letter=letter).first()
    if existing is not None:
        return existing
    # Generated outside the transaction: it takes a noticeable fraction of a second.
    private = blindrsa.generate_private_key(tokens.KEY_BITS)
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        with transaction.atomic():
            return IssuanceKey.objects.create(
                letter=letter,
                spki=tokens.encode_issuer_public_key(private.public_key()),
                token_challenge=token_challenge_for(letter).encode(),
                private_key=ISSUANCE_KEYS.wrap(der),
            )
    except IntegrityError:
        # Two first uses at once: both go on with the key that was stored first.
        return IssuanceKey.objects.get(letter=letter)


def issuance_key_destroy(*, letter: Letter) -> bool:
    """Erase the private half; True if there was one. Call inside the purge's transaction."""
    return bool(
        IssuanceKey.objects.filter(letter=letter, private_key__isnull=False).update(
            private_key=None
        )
    )


@dataclass(frozen=True, eq=False)
class Issuer:
    """A loaded key: what issuance and redemption need, parsed once per process."""

    public: tokens.IssuerPublicKey
    challenge: bytes
    private: rsa.RSAPrivateKey | None


@functools.lru_cache(maxsize=16)
def _public(spki: bytes) -> tokens.IssuerPublicKey:
    return tokens.IssuerPublicKey.from_spki(spki)


@functools.lru_cache(maxsize=16)
def _private(ciphertext: bytes, _environment: tuple[str, ...]) -> rsa.RSAPrivateKey:
    # Keyed by the ciphertext, so a destroyed key (no ciphertext any more) is never loaded again,
    # and by the environment's secrets, so a key set that no longer opens it is not served here.
    return blindrsa.load_private_key(ISSUANCE_KEYS.unwrap(ciphertext))


def issuer_of(row: IssuanceKey) -> Issuer:
    encrypted = None if row.private_key is None else bytes(row.private_key)
    return Issuer(
        public=_public(bytes(row.spki)),
        challenge=bytes(row.token_challenge),
        private=None if encrypted is None else _private(encrypted, environment_secrets()),
    )
