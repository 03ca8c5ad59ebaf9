"""Per tier, one signing through the real web flow: the mailbox nowhere, the signer's name and
department only where the tier allows.

Each row of TIERS says, for one tier, where each of the signer's strings is stored (every table
and column of the database) and, surface by surface, whether it shows. The anonymous tier signs
through its own flow (a token, no name), and adds the token to what is searched for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.privacy.canary import (
    Signed,
    assert_control_visible,
    assert_mailbox_nowhere,
    log_probe,
    run_anonymous_flow,
    run_flow,
)
from tests.support.dbsearch import places, search_database
from tests.support.smtp import SmtpSink
from undersigned.signing.selectors import organizer_signatures

pytestmark = pytest.mark.django_db(transaction=True)

# The surfaces searched, in the order of every `shown` tuple below.
SURFACES = (
    "public_pages",
    "public_api",
    "organizer_pages",
    "csv",
    "logs",
    "outbox",
    "public_pdf",
    "recipient_pdf",
)
T, F, _ = True, False, None  # shows there; does not; no claim made about that surface

NAME = {("signing_signature", "name")}
DEPARTMENT = {("signing_signature", "department")}


@dataclass(frozen=True)
class Place:
    stored: set[tuple[str, str]]  # the (table, column) pairs holding it; empty: nowhere
    shown: tuple[bool | None, ...] = (_, _, _, _, _, _, _, _)


@dataclass(frozen=True)
class Tier:
    tier: str
    flow: Callable[[str, SmtpSink, pytest.LogCaptureFixture], Signed]
    # By kind of string (Signed.needles): where it is kept and where it shows.
    places: dict[str, Place]
    # The organizers' table of signatures, as (tier, fields) per row; None: not checked here.
    organizer_rows: list[tuple[str, dict[str, str]]] | None = None


TIERS = [
    Tier(
        "public",
        run_flow,
        {"name": Place(NAME, shown=(T, T, T, T, F, F, T, T))},
    ),
    Tier(
        "recipient",
        run_flow,
        # Named to the recipient: in the copy emailed to them, never in the public one.
        {"name": Place(NAME, shown=(F, F, T, T, F, F, F, T))},
    ),
    Tier(
        "counted",
        run_flow,
        {
            "name": Place(set(), shown=(F, F, F, F, F, F, F, F)),
            # Kept for the breakdown only: on the pages and in both PDFs because this
            # letter's k is 1; the organizers' table of signatures, the export and the API do not
            # show it (test_counted_department.py checks a k above the group's size).
            "department": Place(DEPARTMENT, shown=(_, F, T, F, _, _, T, T)),
        },
        organizer_rows=[("counted", {})],
    ),
    Tier(
        "anonymous",
        run_anonymous_flow,
        {
            # Kept for the breakdown only: on the pages and in both PDFs because this
            # letter's k is 1; the organizers' table of signatures, the export and the API do not
            # show it.
            "department": Place(DEPARTMENT, shown=(T, F, T, F, F, _, T, T)),
            # The token is public in the log, by design; it is in no page, log record or message.
            "token": Place({("publiclog_entry", "data")}, shown=(F, _, F, _, F, F, F, F)),
            "token nonce": Place({("signing_signature", "token_nonce")}),
        },
        organizer_rows=[("anonymous", {})],
    ),
]


@pytest.mark.parametrize("case", TIERS, ids=[case.tier for case in TIERS])
def test_canary_signer_strings_only_where_the_tier_allows_mailbox_nowhere(
    case: Tier, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    signed = case.flow(case.tier, smtp, caplog)
    surfaces = signed.surfaces

    assert log_probe(caplog) is True
    assert_control_visible(signed.control, surfaces)
    assert_mailbox_nowhere(signed.signer, surfaces, smtp)
    for kind, place in case.places.items():
        needle = signed.needles[kind]
        assert places(search_database(needle)) == place.stored, kind
        claimed = {
            surface: shown
            for surface, shown in zip(SURFACES, place.shown, strict=True)
            if shown is not None
        }
        found = {surface: needle in getattr(surfaces, surface) for surface in claimed}
        assert found == claimed, kind
    if case.organizer_rows is not None:
        rows = organizer_signatures(letter_id=signed.letter.pk, tier=case.tier).rows
        assert [(row["tier"], row["fields"]) for row in rows] == case.organizer_rows
