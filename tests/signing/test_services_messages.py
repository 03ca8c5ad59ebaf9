"""The one code message: the same bytes whatever happened, and nothing in it names the letter.

The employer's mail system logs sizes and can read bodies, so a message for a mailbox that
already signed, withdrew or took a token must not differ from one for a new mailbox.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from tests.signing.anonymous_helpers import start_anonymous, token_by_email
from tests.signing.helpers import sign, start
from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.signing import services

pytestmark = pytest.mark.django_db

TITLE = "Quokka Solidarity Pledge"
ARABIC_TITLE = "ألغوا العقد"
# Parts that differ by nature and are masked before comparing: the code, the link's token, the
# Message-ID, the date and the MIME boundary (random, of fixed length).
_VARYING = [
    (re.compile(rb"Code: \d{8}"), b"Code: CODE"),
    (re.compile(rb"(<strong[^>]*>)\d{8}</strong>"), rb"\1CODE</strong>"),
    (re.compile(rb"/c/[A-Za-z0-9_-]{43}/"), b"/c/TOKEN/"),
    (re.compile(rb"Message-ID: <[^>]+>"), b"Message-ID: <ID>"),
    (re.compile(rb"Date: [^\r\n]+"), b"Date: DATE"),
    (re.compile(rb"={15}\d{19}=="), b"BOUNDARY"),
]


@pytest.fixture
def letter() -> Letter:
    return make_letter(slug="quokka-pledge", title=TITLE, domains=["example.org"], arabic=True)


def _raw(to: str) -> bytes:
    rows = OutboxMessage.objects.filter(state=OutboxState.PENDING).order_by("-id")
    found = [bytes(row.message) for row in rows if to in row.recipients]
    assert found, f"no message to {to}"
    return found[0]


def _masked(raw: bytes) -> bytes:
    for pattern, replacement in _VARYING:
        raw = pattern.sub(replacement, raw)
    # Every mailbox below has the same length; the masked message must not even name it.
    return re.sub(rb"ana\d\d@example\.org", b"MAILBOX", raw)


def _every_case(letter: Letter, language: str) -> dict[str, bytes]:
    """The message each kind of mailbox gets, all in one language (same-length addresses)."""
    sign(letter, "ana02@example.org")
    receipt = sign(letter, "ana03@example.org")
    services.signature_withdraw(letter=letter, receipt_secret=receipt.secret)
    token_by_email(letter, "ana04@example.org")
    cases = {
        "new mailbox": lambda: start(letter, "ana01@example.org", language=language),
        "already signed": lambda: start(letter, "ana02@example.org", language=language),
        "withdrawn": lambda: start(letter, "ana03@example.org", language=language),
        "took a token": lambda: start(letter, "ana04@example.org", language=language),
        "anonymous, new": lambda: start_anonymous(letter, "ana05@example.org"),
        "withdraw, signed": lambda: services.withdrawal_start(
            letter=letter, email="ana02@example.org", language=language
        ),
        "withdraw, never signed": lambda: services.withdrawal_start(
            letter=letter, email="ana06@example.org", language=language
        ),
    }
    raw = {}
    for case, run in cases.items():
        before = OutboxMessage.objects.count()
        run()
        assert OutboxMessage.objects.count() == before + 1, case
        newest = OutboxMessage.objects.order_by("-id").first()
        assert newest is not None
        raw[case] = bytes(newest.message)
    return raw


def test_code_message_is_the_same_bytes_whatever_happened(letter: Letter) -> None:
    raw = _every_case(letter, "en")

    masked = {case: _masked(message) for case, message in raw.items()}
    assert set(masked.values()) == {masked["new mailbox"]}
    lengths = {case: len(message) for case, message in raw.items()}
    assert set(lengths.values()) == {lengths["new mailbox"]}


def test_code_message_in_arabic_is_the_same_bytes_whatever_happened(letter: Letter) -> None:
    raw = _every_case(letter, "ar")
    raw.pop("anonymous, new")  # the anonymous helper starts in English

    masked = {case: _masked(message) for case, message in raw.items()}
    assert set(masked.values()) == {masked["new mailbox"]}
    assert "أدخل هذا الرمز".encode() in masked["new mailbox"]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_code_message_names_no_letter(letter: Letter, language: str) -> None:
    start(letter, "ana01@example.org", language=language)
    message = message_from_bytes(_raw("ana01@example.org"), policy=policy.default)
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    parts = [str(part.get_content()) for part in message.walk() if not part.is_multipart()]
    everything = "\n".join([headers, *parts])

    words = [*TITLE.split(), *ARABIC_TITLE.split(), letter.slug, "quokka", "/l/"]
    assert [w for w in words if w.lower() in everything.lower()] == []
    assert (str(message["Subject"]), len(parts)) == (
        {"en": "Your confirmation code", "ar": "رمز التأكيد"}[language],
        2,
    )
