"""Secrets the database keeps only wrapped, under keys that live in the environment.

Each kind of secret (a letter's mailbox key, a log's signing key, an issuance key, a subscriber's
address) has its own `Wrapping`, whose Fernet key is HKDF-SHA256 of SECRET_KEY with the kind's
own info label: one derived key opens one kind of secret, and a copy of the database without the
environment opens none.

Rotation works like Django's SECRET_KEY_FALLBACKS, which it reads: unwrapping tries SECRET_KEY,
then each fallback (MultiFernet); wrapping always uses SECRET_KEY. `rewrap_column` re-wraps a
column under the current key, after which the fallback can go (docs/operations.md).
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models, transaction

__all__ = ["InvalidToken", "RewrapCount", "Wrapping", "environment_secrets", "rewrap_column"]


def environment_secrets() -> tuple[str, ...]:
    """SECRET_KEY first, then its fallbacks: the order unwrapping tries them in."""
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


@functools.lru_cache(maxsize=64)
def _fernet(secret: str, label: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass(frozen=True)
class Wrapping:
    """One kind of wrapped secret. The label is part of every stored token's key: never change
    it, or every stored secret of that kind becomes unreadable."""

    label: str

    def _fernets(self) -> list[Fernet]:
        info = f"undersigned:{self.label}".encode()
        return [_fernet(secret, info) for secret in environment_secrets()]

    def wrap(self, secret: bytes) -> bytes:
        return self._fernets()[0].encrypt(secret)

    def unwrap(self, token: bytes) -> bytes:
        """The secret; InvalidToken when neither SECRET_KEY nor a fallback wrapped it."""
        return MultiFernet(self._fernets()).decrypt(bytes(token))

    def rewrap(self, token: bytes) -> bytes | None:
        """The token wrapped under the current key, or None when it already is."""
        current, *fallbacks = self._fernets()
        try:
            current.decrypt(bytes(token))
        except InvalidToken:
            return MultiFernet([current, *fallbacks]).rotate(bytes(token))
        return None


@dataclass(frozen=True)
class RewrapCount:
    table: str
    column: str
    rewrapped: int = 0
    current: int = 0
    unreadable: int = 0

    def line(self) -> str:
        return (
            f"{self.table}.{self.column}: {self.rewrapped} re-wrapped, "
            f"{self.current} already current, {self.unreadable} unreadable"
        )


def rewrap_column(
    model: type[models.Model], column: str, wrapping: Wrapping, *, batch_size: int = 500
) -> RewrapCount:
    """Re-wrap every non-null value of `column` under the current key, a batch per transaction.

    Each row is written only if it still holds the token that was read, so a secret destroyed
    meanwhile (an archived letter's key) stays destroyed. Running it again changes nothing.
    Values no key opens are counted and left alone: removing a fallback does not change them.
    """
    rewrapped = current = unreadable = 0
    after: object = None
    while True:
        rows = model._default_manager.filter(**{f"{column}__isnull": False})
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows.order_by("pk").values_list("pk", column)[:batch_size])
        if not batch:
            break
        with transaction.atomic():
            for pk, token in batch:
                try:
                    fresh = wrapping.rewrap(bytes(token))
                except InvalidToken:
                    unreadable += 1
                    continue
                if fresh is None:
                    current += 1
                    continue
                rewrapped += model._default_manager.filter(pk=pk, **{column: bytes(token)}).update(
                    **{column: fresh}
                )
        after = batch[-1][0]
    return RewrapCount(model._meta.db_table, column, rewrapped, current, unreadable)
