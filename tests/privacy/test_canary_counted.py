"""Counted tier: no name anywhere, the department only for organizers; the mailbox never."""

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


def test_canary_counted_name_nowhere_mailbox_nowhere(
    smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    signer, control, surfaces = run_flow("counted", smtp, caplog)

    assert log_probe(caplog) is True
    assert_control_visible(control, surfaces)
    assert_mailbox_nowhere(signer, surfaces, smtp)
    assert search_database(signer.name) == []
    assert [
        signer.name in surfaces.public_pages,
        signer.name in surfaces.public_api,
        signer.name in surfaces.organizer_pages,
        signer.name in surfaces.csv,
        signer.name in surfaces.logs,
        signer.name in surfaces.outbox,
    ] == [False] * 6
    # The department is kept for breakdowns: organizers see it, the export and the API do not
    # (the public breakdown shows it here only because this letter's k is 1).
    assert places(search_database(signer.department)) == {("signing_signature", "department")}
    assert [
        signer.department in surfaces.organizer_pages,
        signer.department in surfaces.csv,
        signer.department in surfaces.public_api,
    ] == [True, False, False]
