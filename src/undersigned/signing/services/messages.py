"""The one message a mailbox gets when someone asks to sign or withdraw with it.

The employer's mail system reads every message and logs its size, so the message is the same
to the byte in length and structure whatever happened: a new mailbox, one that already signed,
withdrew or took an anonymous token, a signature or a withdrawal. It names no letter: a neutral
subject, a code, and a link to a neutral path whose opaque token finds the request. What
happened is shown on the page once the code or link is used (docs/threat-model.md).
"""

from __future__ import annotations

from django.conf import settings

from undersigned.mail.services import mail_send
from undersigned.signing import codes
from undersigned.signing.models import Verification
from undersigned.signing.services.common import absolute


def code_message_send(*, row: Verification, address: str, language: str) -> None:
    """Queue the code message for a verification (in the caller's transaction)."""
    context = {
        "code": codes.verification_code(row.nonce),
        "link": absolute("mailbox_link", token=codes.link_token(row.nonce)),
        "minutes": settings.SIGNING_CODE_TTL_SECONDS // 60,
    }
    mail_send("code", to=address, context=context, language=language)
