"""A Django email backend that writes to the outbox instead of talking to a mail server.

Every send_mail() in the project (including Django's own password reset) lands in the outbox
inside the caller's transaction, so a message exists if and only if the change that caused it
was committed. The worker delivers it with the backend configured by EMAIL_URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from undersigned.mail.services import outbox_enqueue


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            outbox_enqueue(message=message)
        return len(email_messages)

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
