"""Signing services: every change to signatures, each one transaction.

Split by who acts (signers, withdrawals, organizers, retention); import them from here.
"""

from undersigned.signing.services.anonymous import (
    anonymous_open,
    anonymous_signature_redeem,
    token_issue,
    token_issue_with_invite,
)
from undersigned.signing.services.issuance_keys import issuance_key_create, issuance_key_destroy
from undersigned.signing.services.organizers import (
    InvalidationRule,
    invite_batch_create,
    signature_flag,
    signatures_invalidate,
)
from undersigned.signing.services.reconfirm import (
    reconfirm_message,
    reconfirm_pending,
    signature_reconfirm,
)
from undersigned.signing.services.retention import (
    PurgeReport,
    letter_secrets_purge,
    verifications_expire,
)
from undersigned.signing.services.signers import (
    Receipt,
    Requested,
    signing_confirm,
    signing_confirm_link,
    signing_start,
    signing_with_invite,
)
from undersigned.signing.services.withdrawals import (
    signature_withdraw,
    signature_withdraw_with_code,
    signature_withdraw_with_link,
    withdrawal_start,
)

__all__ = [
    "InvalidationRule",
    "PurgeReport",
    "Receipt",
    "Requested",
    "anonymous_open",
    "anonymous_signature_redeem",
    "invite_batch_create",
    "issuance_key_create",
    "issuance_key_destroy",
    "letter_secrets_purge",
    "reconfirm_message",
    "reconfirm_pending",
    "reconfirm_requests_queue",
    "signature_flag",
    "signature_reconfirm",
    "signature_withdraw",
    "signature_withdraw_with_code",
    "signature_withdraw_with_link",
    "signatures_invalidate",
    "signing_confirm",
    "signing_confirm_link",
    "signing_start",
    "signing_with_invite",
    "token_issue",
    "token_issue_with_invite",
    "verifications_expire",
    "withdrawal_start",
]
