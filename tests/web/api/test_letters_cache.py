"""The letter and its count from the cache: the same bytes as rendered, fresh after changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from tests.publiclog.helpers import sign
from tests.support.factories import make_addendum, make_letter, make_organizer
from undersigned.campaign import letters as services
from undersigned.letters.states import State
from undersigned.publiclog.sequencer import log_sequence_all

pytestmark = pytest.mark.django_db


def from_cache(client: Client, path: str) -> Any:
    """The JSON at `path`, which must come from the cache: not one query."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert (response.status_code, len(queries)) == (200, 0)
    return response.json()


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        ("/api/v1/letters/press", "public, max-age=10, stale-while-revalidate=30"),
        ("/api/v1/letters/press/count", "public, max-age=5, stale-while-revalidate=25"),
    ],
)
def test_cached_answer_is_the_rendered_bytes_without_queries(
    client: Client,
    django_assert_num_queries: type[DjangoAssertNumQueries],
    path: str,
    cache_control: str,
) -> None:
    letter = make_letter("press", arabic=True, demands=("Cancel it.", "Say so."))
    make_addendum(letter)
    sign(letter)
    log_sequence_all()
    rendered = client.get(path)
    with django_assert_num_queries(0):
        cached = client.get(path)
    assert (cached.status_code, cached.content, cached["Content-Type"]) == (
        200,
        rendered.content,
        "application/json; charset=utf-8",
    )
    assert (cached["Cache-Control"], cached["Vary"], dict(cached.cookies)) == (
        cache_control,
        "Accept-Language",
        {},
    )
    again = client.get(path, headers={"If-None-Match": cached["ETag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_count_changes_when_the_sequencer_publishes(client: Client) -> None:
    letter = make_letter("press")
    assert client.get("/api/v1/letters/press/count").json()["total"] == 0
    assert from_cache(client, "/api/v1/letters/press/count")["total"] == 0
    sign(letter)
    log_sequence_all()
    assert client.get("/api/v1/letters/press/count").json()["total"] == 1


def test_letter_changes_at_once_after_a_state_change(client: Client) -> None:
    owner = make_organizer()
    letter = make_letter("press", owner=owner)
    client.get("/api/v1/letters/press")
    assert from_cache(client, "/api/v1/letters/press")["state"] == "open"
    services.letter_transition(letter=letter, target=State.CLOSED, user=owner)
    assert client.get("/api/v1/letters/press").json()["state"] == "closed"


def test_missing_letter_is_a_404_each_time(client: Client) -> None:
    first = client.get("/api/v1/letters/press/count")
    make_letter("press")
    second = client.get("/api/v1/letters/press/count")
    assert (first.status_code, second.status_code) == (404, 200)
    from_cache(client, "/api/v1/letters/press/count")
