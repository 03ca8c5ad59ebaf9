"""Recipient tier: the name reaches organizers and the export only; the mailbox never."""

from __future__ import annotations

import pytest

from tests.privacy.canary import (
    assert_control_visible,
    assert_mailbox_nowhere,
    log_probe,
    run_flow,
)
from tests.support.dbsearch import places, search_database
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


def test_canary_recipient_name_only_for_organizers_mailbox_nowhere(
    smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    signer, control, surfaces = run_flow("recipient", smtp, caplog)

    assert log_probe(caplog) is True
    assert_control_visible(control, surfaces)
    assert_mailbox_nowhere(signer, surfaces, smtp)
    assert places(search_database(signer.name)) == {("signing_signature", "name")}
    assert [
        signer.name in surfaces.public_pages,
        signer.name in surfaces.public_api,
        signer.name in surfaces.organizer_pages,
        signer.name in surfaces.csv,
        signer.name in surfaces.logs,
        signer.name in surfaces.outbox,
    ] == [False, False, True, True, False, False]
