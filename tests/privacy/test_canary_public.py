"""Public tier: the name is shown publicly, to organizers and in the export; the mailbox never."""

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


def test_canary_public_name_where_allowed_mailbox_nowhere(
    smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    signer, control, surfaces = run_flow("public", smtp, caplog)

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
    ] == [True, True, True, True, False, False]
