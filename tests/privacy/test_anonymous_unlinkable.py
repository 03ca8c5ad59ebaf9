"""After N anonymous signatures, nothing the server keeps pairs an issuance with a redemption.

The worst case on purpose: each signer redeems right after getting the token, in the same
order. Then every table and column, the logs and the outbox are searched for anything that
joins the two halves: a shared identifier, a time finer than a date, or an order.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client

from tests.signing.anonymous_helpers import blinded_request
from tests.signing.helpers import outbox_code
from tests.support.dbsearch import as_text
from tests.support.factories import make_letter
from tests.support.smtp import SmtpSink
from undersigned.campaign.worker import run_worker
from undersigned.crypto import tokens
from undersigned.letters.models import Letter, mailbox_key_of
from undersigned.mail.models import OutboxMessage
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import services
from undersigned.signing.mailbox import mailbox_hash
from undersigned.signing.models import Issuance, Signature

pytestmark = pytest.mark.django_db(transaction=True)

BY_EMAIL = 10
BY_INVITE = 4


@dataclass
class Signer:
    """What each half of one signer's anonymous signature could have left behind."""

    issuance: set[str] = field(default_factory=set)
    redemption: set[str] = field(default_factory=set)
    mailbox: str | None = None


def _forms(data: bytes) -> set[str]:
    return {data.hex(), base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()}


def _post(client: Client, path: str, body: dict[str, str]) -> dict[str, object]:
    response = client.post(path, body, content_type="application/json")
    assert response.status_code in (200, 201, 202), response.content
    answer: dict[str, object] = response.json()
    return answer


def _sign(client: Client, letter: Letter, who: str | None, invite: str | None) -> Signer:
    api = f"/api/v1/letters/{letter.slug}"
    signer = Signer()
    request, state = blinded_request(letter)
    if who is not None:
        _post(client, f"{api}/signatures", {"email": who, "tier": "anonymous"})
        credentials = {"email": who, "code": outbox_code(who)}
        signer.mailbox = mailbox_hash(key=mailbox_key_of(letter) or b"", mailbox=who)
        signer.issuance.add(signer.mailbox)
    else:
        credentials = {"invite_code": invite or ""}
    issued = _post(
        client,
        f"{api}/tokens",
        {**credentials, "token_request": base64.b64encode(request).decode()},
    )
    response = base64.b64decode(str(issued["token_response"]))
    signer.issuance |= _forms(request[3:]) | _forms(response)
    token = tokens.finalize_token(state, response)
    receipt = _post(
        client,
        f"{api}/anonymous-signatures",
        {"token": base64.b64encode(token.encode()).decode()},
    )
    secret = str(receipt["receipt_secret"])
    signer.redemption |= _forms(token.encode()) | _forms(token.nonce) | _forms(token.authenticator)
    signer.redemption |= {secret, hashlib.sha256(secret.encode()).hexdigest()}
    signer.redemption.add(str(receipt["leaf_hash"]))
    return signer


def _rows() -> list[tuple[str, str, list[str]]]:
    """Every row of every table, as (table, primary key text, cell texts)."""
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 -- quoted name
            for row in cursor.fetchall():
                found.append((table, as_text(row[0]), [as_text(v) for v in row]))
    return found


def _datetime_columns() -> set[tuple[str, str]]:
    """(table, column) of every non-empty value with a time of day."""
    found = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                kind = connection.introspection.get_field_type(column.type_code, column)
                if kind != "DateTimeField":
                    continue
                name = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "  # noqa: S608 -- quoted name
                    f"WHERE {name} IS NOT NULL"
                )
                if cursor.fetchone()[0]:
                    found.add((table, column.name))
    return found


@pytest.fixture
def signed(
    smtp: SmtpSink, caplog: pytest.LogCaptureFixture, settings: object
) -> tuple[Letter, list[Signer], str]:
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, (100_000, 600))  # type: ignore[attr-defined]
    caplog.set_level(logging.DEBUG)
    letter = make_letter(domains=["example.org"])
    invites = services.invite_batch_create(letter=letter, size=BY_INVITE)
    client = Client()
    signers = [_sign(client, letter, f"member{i}@example.org", None) for i in range(BY_EMAIL)]
    # Invite codes used out of the order they were made in (and stored in).
    signers += [_sign(client, letter, None, code) for code in reversed(invites)]
    run_worker(stop=threading.Event(), once=True)  # sends the messages, which erases them
    log_sequence_all()
    logs = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    return letter, signers, logs


def test_no_row_holds_both_halves_of_any_signature(
    signed: tuple[Letter, list[Signer], str],
) -> None:
    _, signers, _ = signed
    issuance = set().union(*(s.issuance for s in signers))
    redemption = set().union(*(s.redemption for s in signers))

    mixed = [
        (table, key)
        for table, key, cells in _rows()
        if any(v in c for c in cells for v in issuance)
        and any(v in c for c in cells for v in redemption)
    ]

    assert mixed == []


def _tables_holding(values: set[str]) -> set[str]:
    return {table for table, _, cells in _rows() if any(v in c for c in cells for v in values)}


def test_issuance_keeps_only_the_mailbox_mark(signed: tuple[Letter, list[Signer], str]) -> None:
    _, signers, _ = signed
    mailboxes = {s.mailbox for s in signers if s.mailbox is not None}
    blinded = set().union(*(s.issuance for s in signers)) - mailboxes

    # The blinded requests and blind signatures are kept nowhere, not even in the outbox.
    assert _tables_holding(blinded) == set()
    assert _tables_holding(mailboxes) == {"signing_issuance"}
    assert sorted(Issuance.objects.values_list("issued_on", flat=True).distinct()) == [
        Signature.objects.values_list("signed_on", flat=True)[0]
    ]


def test_no_time_finer_than_a_date_near_a_signer(signed: tuple[Letter, list[Signer], str]) -> None:
    # What has times: Django's migration record alone. The outbox's bookkeeping for the sent
    # verification messages keeps dates only; nothing written by issuance or redemption.
    assert _datetime_columns() == {("django_migrations", "applied")}
    assert OutboxMessage.objects.exclude(recipients=[]).count() == 0


def test_issuance_rows_carry_no_order(signed: tuple[Letter, list[Signer], str]) -> None:
    letter, signers, _ = signed
    issued_in = [s.mailbox for s in signers if s.mailbox is not None]
    by_id = list(
        Issuance.objects.filter(letter=letter).order_by("id").values_list("mailbox_hash", flat=True)
    )

    # Random ids: the chance that they fall in issuance order (or its reverse) is 2 in 10!.
    assert sorted(by_id) == sorted(issued_in)
    assert by_id not in (issued_in, issued_in[::-1])
    if connection.vendor == "sqlite":
        # The random id is the rowid itself, so no hidden rowid counts insertions.
        with connection.cursor() as cursor:
            cursor.execute("SELECT rowid, id FROM signing_issuance")
            assert all(rowid == pk for rowid, pk in cursor.fetchall())
    # Each column is either the same for all (letter, date) or unordered (random id, hash).
    columns = Issuance.objects.values("letter_id", "issued_on").distinct().count()
    assert columns == 1


def test_logs_and_outbox_hold_neither_half(signed: tuple[Letter, list[Signer], str]) -> None:
    _, signers, logs = signed
    outbox = "\n".join(
        f"{row.recipients!r} {bytes(row.message).decode('utf-8', 'replace')}"
        for row in OutboxMessage.objects.all()
    )
    every = set().union(*(s.issuance | s.redemption for s in signers))

    assert [v for v in every if v in logs] == []
    assert [v for v in every if v in outbox] == []
