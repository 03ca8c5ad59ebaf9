"""Each signing request stays a handful of queries (the target is 400 signatures/s on 2 cores)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.signing.helpers import outbox_code
from tests.support.factories import make_letter
from undersigned.publiclog.services import log_open
from undersigned.signing.models import COUNTER_SHARDS, Counter

pytestmark = pytest.mark.django_db


def _statements(context: CaptureQueriesContext) -> list[str]:
    """The statements that do work; savepoints come from the test's own transaction.

    PostgreSQL's UNION comes parenthesized: "(SELECT ...) UNION ALL (SELECT ...)".
    """
    return [
        q["sql"].lstrip("(").split()[0]
        for q in context.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_start_and_confirm_queries(client: Client) -> None:
    letter = make_letter(domains=["example.org"])
    Counter.objects.bulk_create(
        Counter(letter=letter, tier="counted", shard=s) for s in range(COUNTER_SHARDS)
    )
    log_open(letter=letter)  # as opening the letter does; the first signature then finds it
    api = f"/api/v1/letters/{letter.slug}/signatures"
    body = {"email": "ana@example.org", "tier": "counted"}

    with CaptureQueriesContext(connection) as started:
        client.post(api, json.dumps(body), content_type="application/json")
    code = outbox_code("ana@example.org")
    with CaptureQueriesContext(connection) as confirmed:
        client.post(
            f"{api}/confirm",
            json.dumps({"email": "ana@example.org", "code": code}),
            content_type="application/json",
        )

    # letter, already signed?, pending?, new pending, outbox (the message names no letter)
    assert _statements(started) == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT"]
    # letter, take an attempt, read it, hold the letter's version, signature, log opened?,
    # log queue, counter shard, mark used
    assert _statements(confirmed) == [
        "SELECT",
        "UPDATE",
        "SELECT",
        "SELECT",
        "INSERT",
        "SELECT",
        "INSERT",
        "UPDATE",
        "UPDATE",
    ]
