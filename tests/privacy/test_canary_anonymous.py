"""Anonymous tier: the mailbox nowhere, the department only on the unlinked signature row.

The signer goes through the web pages; the token is made as the page's script makes it (the
blinding itself is tested in Chromium in tests/e2e/test_anonymous.py).
"""

from __future__ import annotations

import base64
import logging

import pytest
from django.test import Client

from tests.privacy.canary import (
    _confirm_from_mail,
    _sign_on_the_web,
    _work_once,
    assert_control_visible,
    assert_mailbox_nowhere,
    collect_surfaces,
    log_probe,
    new_canary,
)
from tests.signing.anonymous_helpers import blinded_request
from tests.support.dbsearch import places, search_database
from tests.support.factories import make_letter, make_organizer
from tests.support.smtp import SmtpSink
from undersigned.crypto import tokens
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing.selectors import organizer_signatures

pytestmark = pytest.mark.django_db(transaction=True)


def test_canary_anonymous_mailbox_nowhere_department_unlinked(
    smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
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

    assert log_probe(caplog) is True
    assert_control_visible(control, surfaces)
    assert_mailbox_nowhere(signer, surfaces, smtp)
    # Kept for the breakdown only: on the public and organizer pages because this letter's k is
    # 1; the organizers' table of signatures, the export and the API do not show it.
    assert places(search_database(signer.department)) == {("signing_signature", "department")}
    assert [
        signer.department in surfaces.public_pages,
        signer.department in surfaces.organizer_pages,
        signer.department in surfaces.csv,
        signer.department in surfaces.public_api,
        signer.department in surfaces.logs,
    ] == [True, True, False, False, False]
    rows = organizer_signatures(letter_id=letter.pk, tier="anonymous").rows
    assert [(row["tier"], row["fields"]) for row in rows] == [("anonymous", {})]
    # The token is public in the log, by design; it is in no page, log record or message.
    assert places(search_database(token_text)) == {("publiclog_entry", "data")}
    assert places(search_database(token.nonce.hex())) == {("signing_signature", "token_nonce")}
    assert [
        token_text in surfaces.public_pages,
        token_text in surfaces.organizer_pages,
        token_text in surfaces.logs,
        token_text in surfaces.outbox,
    ] == [False] * 4
