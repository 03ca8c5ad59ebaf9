"""Shortcuts for signing tests: start through the service and read what the outbox holds."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.signing import services
from undersigned.signing.inputs import SignerDetails


def details(tier: str = "public", name: str = "Ana Lima", **fields: str) -> SignerDetails:
    return SignerDetails(tier=tier, name=name if tier != "counted" else "", **fields)


def start(letter: Letter, email: str, *, tier: str = "public", name: str = "Ana Lima",
          updates: bool = False, language: str = "en", **fields: str) -> None:  # fmt: skip
    services.signing_start(
        letter=letter,
        email=email,
        details=details(tier, name, **fields),
        updates=updates,
        language=language,
    )


def last_message(to: str) -> EmailMessage:
    """The newest message waiting in the outbox for `to`."""
    rows = [
        row
        for row in OutboxMessage.objects.filter(state=OutboxState.PENDING).order_by("-id")
        if to in row.recipients
    ]
    assert rows, f"no pending message to {to}"
    return message_from_bytes(bytes(rows[0].message), policy=policy.default)  # type: ignore[return-value]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def code_in(message: EmailMessage) -> str | None:
    match = re.search(r"^Code: (\d+)\r?$", text_of(message), re.MULTILINE)
    return match.group(1) if match else None


def outbox_code(to: str) -> str:
    code = code_in(last_message(to))
    assert code is not None, "the message carries no code"
    return code


def outbox_link_token(to: str) -> str:
    match = re.search(r"/c/([A-Za-z0-9_-]+)/", text_of(last_message(to)))
    assert match is not None, "no confirmation link"
    return match.group(1)


def sign(letter: Letter, email: str, **kwargs: str) -> services.Receipt:
    start(letter, email, **kwargs)  # type: ignore[arg-type]
    return services.signing_confirm(letter=letter, email=email, code=outbox_code(email))
