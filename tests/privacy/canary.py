"""One signing through the real web flow, then every place a canary could have leaked to.

A control signer (public tier, its own canary name) signs alongside, so every surface searched
is proven able to show a name: a search that finds nothing anywhere proves nothing. After the
pages are read, the letter is delivered, and both copies of its PDF are searched too: the public
one as a visitor downloads it, the recipient's as the mail server received it.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
import uuid
from dataclasses import dataclass, field

import pytest
from django.test import Client
from pypdf import PdfReader

from tests.signing.anonymous_helpers import blinded_request
from tests.support.dbsearch import Hit, search_database
from tests.support.factories import PASSWORD, make_letter, make_organizer
from tests.support.smtp import SmtpSink
from undersigned.accounts.models import User
from undersigned.campaign.worker import run_worker
from undersigned.crypto import tokens
from undersigned.delivery.services import delivery_request
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage
from undersigned.publiclog.sequencer import log_sequence_all

# aiosmtpd's own logger is the receiving mail server in the test, not part of the product.
FOREIGN_LOGGERS = ("mail.log",)


@dataclass
class Canary:
    mailbox: str
    name: str
    department: str


@dataclass
class Surfaces:
    """Everything a canary could appear in, as text, after the flow."""

    db_before_send: list[Hit]
    public_pages: str
    public_api: str
    organizer_pages: str
    csv: str
    logs: str
    outbox: str
    public_pdf: str = ""
    recipient_pdf: str = ""


@dataclass
class Signed:
    """What a flow leaves behind: who signed, where to look, and what to look for."""

    signer: Canary
    control: Canary
    letter: Letter
    surfaces: Surfaces
    # The signer's own strings to search for, by kind: "name", "department", "token", ...
    needles: dict[str, str] = field(default_factory=dict)


def new_canary(prefix: str) -> Canary:
    tag = uuid.uuid4().hex
    return Canary(
        mailbox=f"{prefix}-{tag}@example.org",
        name=f"Canary {prefix} {tag[:16]}",
        department=f"Dept {tag[16:]}",
    )


def _work_once() -> None:
    run_worker(stop=threading.Event(), once=True)


def _sign_on_the_web(client: Client, letter: Letter, tier: str, who: Canary) -> None:
    form = {
        "email": who.mailbox,
        "tier": tier,
        "name": who.name,
        "title": "Canary title",
        "department": who.department,
        "updates": "on",
        "language": "en",
    }
    started = client.post(f"/l/{letter.slug}/sign/", form)
    assert started.status_code == 200


def _confirm_from_mail(client: Client, smtp: SmtpSink, who: Canary) -> None:
    link = smtp.wait_for(who.mailbox)[-1].link("/c/")
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    done = client.post(path, {"language": "en"})
    assert done.status_code == 200
    assert "Save this receipt now" in done.content.decode()


def run_flow(tier: str, smtp: SmtpSink, caplog: pytest.LogCaptureFixture) -> Signed:
    """A named tier (public, recipient, counted): the signing form, then the emailed link."""
    caplog.set_level(logging.DEBUG)
    owner = make_organizer()
    letter = make_letter(domains=["example.org"], owner=owner, breakdown_threshold=1)
    signer, control = new_canary(f"canary-{tier}"), new_canary("control")
    client = Client()
    assert client.get(f"/l/{letter.slug}/sign/").status_code == 200
    _sign_on_the_web(client, letter, tier, signer)
    _sign_on_the_web(client, letter, "public", control)
    db_before_send = search_database(signer.mailbox)
    _work_once()
    _confirm_from_mail(client, smtp, signer)
    _confirm_from_mail(client, smtp, control)
    _work_once()

    surfaces = collect_surfaces(client, letter, owner, tier, db_before_send, caplog)
    surfaces.public_pdf, surfaces.recipient_pdf = deliver_and_read(client, letter, smtp)
    needles = {"name": signer.name, "department": signer.department}
    return Signed(signer, control, letter, surfaces, needles)


def run_anonymous_flow(tier: str, smtp: SmtpSink, caplog: pytest.LogCaptureFixture) -> Signed:
    """The anonymous tier: the emailed code buys a token, redeemed with only a department.

    The signer goes through the web pages; the token is made as the page's script makes it (the
    blinding itself is tested in Chromium in tests/e2e/test_anonymous.py).
    """
    assert tier == "anonymous"
    caplog.set_level(logging.DEBUG)
    owner = make_organizer()
    letter = make_letter(domains=["example.org"], owner=owner, breakdown_threshold=1)
    signer, control = new_canary("canary-anonymous"), new_canary("control")
    client = Client()
    assert client.get(f"/l/{letter.slug}/sign/anonymous/").status_code == 200
    started = client.post(
        f"/l/{letter.slug}/sign/anonymous/", {"email": signer.mailbox, "language": "en"}
    )
    assert started.status_code == 200
    _sign_on_the_web(client, letter, "public", control)
    db_before_send = search_database(signer.mailbox)
    _work_once()
    request, state = blinded_request(letter)
    issued = client.post(
        f"/api/v1/letters/{letter.slug}/tokens",
        {
            "email": signer.mailbox,
            "code": smtp.wait_for(signer.mailbox)[-1].code(),
            "token_request": base64.b64encode(request).decode(),
        },
        content_type="application/json",
    )
    token = tokens.finalize_token(state, base64.b64decode(issued.json()["token_response"]))
    token_text = base64.b64encode(token.encode()).decode()
    signed = client.post(
        f"/l/{letter.slug}/sign/anonymous/redeem/",
        {"token": token_text, "department": signer.department, "language": "en"},
    )
    assert "You signed anonymously" in signed.content.decode()
    _confirm_from_mail(client, smtp, control)
    _work_once()
    log_sequence_all()

    surfaces = collect_surfaces(client, letter, owner, "anonymous", db_before_send, caplog)
    surfaces.public_pdf, surfaces.recipient_pdf = deliver_and_read(client, letter, smtp)
    needles = {
        "department": signer.department,
        "token": token_text,
        "token nonce": token.nonce.hex(),
    }
    return Signed(signer, control, letter, surfaces, needles)


def collect_surfaces(
    client: Client,
    letter: Letter,
    owner: User,
    tier: str,
    db_before_send: list[Hit],
    caplog: pytest.LogCaptureFixture,
) -> Surfaces:
    """Every page, API answer, export, log record and outbox row a canary could reach."""
    public = [
        client.get(f"/l/{letter.slug}/").content.decode(),
        client.get(f"/l/{letter.slug}/signatories/").content.decode(),
    ]
    api = [
        client.get(f"/api/v1/letters/{letter.slug}").content.decode(),
        client.get(f"/api/v1/letters/{letter.slug}/signatories").content.decode(),
    ]
    organizer = Client()
    assert organizer.login(email=owner.email, password=PASSWORD)
    manage = f"/manage/letters/{letter.slug}/signatures/"
    organizer_pages = [
        organizer.get(manage).content.decode(),
        organizer.get(f"{manage}?tier={tier}").content.decode(),
        organizer.get(f"{manage}invites/").content.decode(),
        organizer.get(f"{manage}invalidate/").content.decode(),
    ]
    csv = b"".join(organizer.get(f"{manage}export.csv").streaming_content).decode()  # type: ignore[attr-defined]
    logs = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
        if record.name not in FOREIGN_LOGGERS
    )
    outbox = "\n".join(
        f"{row.recipients!r} {bytes(row.message).decode('utf-8', 'replace')}"
        for row in OutboxMessage.objects.all()
    )
    return Surfaces(
        db_before_send=db_before_send,
        public_pages="\n".join(public),
        public_api="\n".join(api),
        organizer_pages="\n".join(organizer_pages),
        csv=csv,
        logs=logs,
        outbox=outbox,
    )


def _pdf_text(pdf: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())  # a name wrapped onto two lines is still found


def deliver_and_read(client: Client, letter: Letter, smtp: SmtpSink) -> tuple[str, str]:
    """Deliver the letter; the text of the public PDF (as a visitor gets it) and the recipient's."""
    delivery_request(letter=letter, user=None)
    _work_once()  # builds both copies and queues the recipient's email
    _work_once()  # sends it
    public = client.get(f"/l/{letter.slug}/delivered.pdf")
    assert public.status_code == 200
    attachments = list(smtp.wait_for(letter.recipient_email)[-1].message.iter_attachments())
    assert len(attachments) == 1
    return _pdf_text(public.content), _pdf_text(attachments[0].get_content())


def log_probe(caplog: pytest.LogCaptureFixture) -> bool:
    """Proof that DEBUG records from our code reach the captured logs we search."""
    probe = f"probe-{uuid.uuid4().hex}"
    logging.getLogger("undersigned.signing").debug("canary probe %s", probe)
    return any(probe in record.getMessage() for record in caplog.records)


def assert_control_visible(control: Canary, surfaces: Surfaces) -> None:
    """The searches can find a name on every surface that may show one."""
    found = [
        control.name in surfaces.public_pages,
        control.name in surfaces.public_api,
        control.name in surfaces.organizer_pages,
        control.name in surfaces.csv,
        control.name in surfaces.public_pdf,
        control.name in surfaces.recipient_pdf,
        {h.table for h in search_database(control.name)} == {"signing_signature"},
    ]
    assert found == [True] * 7


def assert_mailbox_nowhere(signer: Canary, surfaces: Surfaces, smtp: SmtpSink) -> None:
    # Proof first: before sending, the outbox held the plaintext address, and the search saw it.
    assert {h.table for h in surfaces.db_before_send} == {"mail_outboxmessage"}
    assert len(smtp.to(signer.mailbox)) == 1
    local = signer.mailbox.split("@")[0]
    for needle in (signer.mailbox, local):
        assert search_database(needle) == []
        found = [
            needle in surfaces.public_pages,
            needle in surfaces.public_api,
            needle in surfaces.organizer_pages,
            needle in surfaces.csv,
            needle in surfaces.logs,
            needle in surfaces.outbox,
        ]
        assert found == [False] * 6
