"""Re-wrapping every stored secret under the current SECRET_KEY (`undersigned rotate-keys`).

After SECRET_KEY changes, with the old one in SECRET_KEY_FALLBACKS, everything keeps working by
trying the fallbacks; this moves each wrapped value to the current key so that the fallback can
be removed (docs/operations.md). Codes and links signed with the old key are not kept: they live
half an hour, so a rotation at most asks a signer in the middle of confirming to start again.
"""

from __future__ import annotations

from django.db import models

from undersigned.common.keys import RewrapCount, Wrapping, rewrap_column
from undersigned.letters.models import MAILBOX_KEYS, Letter
from undersigned.publiclog.keys import LOG_SIGNING_KEYS
from undersigned.publiclog.models import LogState
from undersigned.signing.mailbox import UPDATES_ADDRESSES
from undersigned.signing.models import IssuanceKey, Signature, Verification
from undersigned.signing.services.issuance_keys import ISSUANCE_KEYS

# Every column that holds a wrapped secret, with the wrapping that opens it.
WRAPPED: tuple[tuple[type[models.Model], str, Wrapping], ...] = (
    (Letter, "mailbox_key", MAILBOX_KEYS),
    (LogState, "signing_key", LOG_SIGNING_KEYS),
    (IssuanceKey, "private_key", ISSUANCE_KEYS),
    (Verification, "updates_address", UPDATES_ADDRESSES),
    (Signature, "updates_address", UPDATES_ADDRESSES),
)


def secrets_rewrap(*, batch_size: int = 500) -> list[RewrapCount]:
    """Re-wrap every wrapped secret under SECRET_KEY, one batch of rows per transaction.

    Idempotent: a value already under the current key is left as it is.
    """
    return [
        rewrap_column(model, column, wrapping, batch_size=batch_size)
        for model, column, wrapping in WRAPPED
    ]
