"""The letter page from the cache: fresh after every change, shareable by any proxy."""

from __future__ import annotations

import re
import time

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from tests.publiclog.helpers import sign
from tests.support.factories import make_letter, make_organizer
from undersigned.accounts.models import User
from undersigned.campaign import letters as services
from undersigned.delivery.services import response_record
from undersigned.letters.models import Demand, Letter
from undersigned.letters.states import State
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing.models import Counter

pytestmark = pytest.mark.django_db

PUBLIC = "public, max-age=10, stale-while-revalidate=30"


def tally(client: Client, slug: str) -> tuple[list[str], list[str]]:
    html = client.get(f"/l/{slug}/").content.decode()
    pending = re.findall(r'<p class="tally-pending"><span>([^<]*)', html)
    return re.findall(r'<span class="tally-number">([^<]+)</span>', html), pending


def from_cache(client: Client, path: str) -> str:
    """The page at `path`, which must come from the cache: not one query."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert (response.status_code, len(queries)) == (200, 0)
    return response.content.decode()


def opened(owner: User, slug: str) -> Letter:
    letter = make_letter(slug, state=State.DRAFT, owner=owner)
    return services.letter_transition(letter=letter, target=State.OPEN, user=owner)


def test_cached_page_shows_the_new_count_once_the_sequencer_publishes(client: Client) -> None:
    letter = make_letter("press")
    sign(letter)
    log_sequence_all()
    assert tally(client, "press") == (["1"], ["Every signature counted here is in the "])
    sign(letter)
    from_cache(client, "/l/press/")
    log_sequence_all()
    assert tally(client, "press") == (["2"], ["Every signature counted here is in the "])


@override_settings(SEQUENCER_INTERVAL_SECONDS=1)
def test_cached_page_is_never_older_than_one_sequencer_interval(client: Client) -> None:
    letter = make_letter("press")
    assert tally(client, "press")[1] == ["Every signature counted here is in the "]
    from_cache(client, "/l/press/")
    # A confirmed signature the log has not taken yet: no writer marks the page stale.
    Counter.objects.create(letter=letter, tier="public", shard=0, value=1)
    time.sleep(1.1)
    assert tally(client, "press")[1] == [
        "1 more confirmed, waiting for the next checkpoint of the "
    ]


def test_cached_page_changes_at_once_after_an_amendment(client: Client) -> None:
    owner = make_organizer()
    letter = opened(owner, "press")
    client.get("/l/press/")
    assert "We ask leadership to act now." not in from_cache(client, "/l/press/")
    sign(letter)
    services.letter_text_set(
        letter=letter,
        language="en",
        title="Cancel the contract",
        body="We ask leadership to act now.",
        note="The ask is sharper.",
    )
    html = client.get("/l/press/").content.decode()
    assert re.findall(r'<div class="letter-body"><p>([^<]*)</p>', html) == [
        "We ask leadership to act now."
    ]


def test_cached_page_changes_at_once_after_a_state_change(client: Client) -> None:
    owner = make_organizer()
    letter = opened(owner, "press")
    client.get("/l/press/")
    assert "Sign this letter" in from_cache(client, "/l/press/")
    services.letter_transition(letter=letter, target=State.CLOSED, user=owner)
    html = client.get("/l/press/").content.decode()
    assert (re.findall(r'letter-state-(\w+)"', html), "Sign this letter" in html) == (
        ["closed"],
        False,
    )


def test_conditional_get_with_the_etag_is_304(client: Client) -> None:
    make_letter("press")
    first = client.get("/l/press/")
    again = client.get("/l/press/", headers={"If-None-Match": first["ETag"]})
    since = client.get("/l/press/", headers={"If-Modified-Since": first["Last-Modified"]})
    assert (again.status_code, again.content, again["ETag"], since.status_code) == (
        304,
        b"",
        first["ETag"],
        304,
    )


def test_anonymous_page_is_public_without_cookies(client: Client) -> None:
    make_letter("press")
    for _ in range(2):  # rendered, then from the cache
        response = client.get("/l/press/")
        assert (response["Cache-Control"], response["Vary"], dict(response.cookies)) == (
            PUBLIC,
            "Accept-Language",
            {},
        )
        html = response.content.decode()
        assert ("csrfmiddlewaretoken" in html, "Organizer login" in html) == (False, True)


def test_organizer_gets_a_private_page_and_readers_never_see_it(client: Client) -> None:
    make_letter("press")
    organizer = Client()
    organizer.force_login(make_organizer())
    theirs = organizer.get("/l/press/")
    assert "private" in theirs["Cache-Control"].split(", ")
    assert "no-store" in theirs["Cache-Control"].split(", ")
    assert "Log out" in theirs.content.decode()
    public = client.get("/l/press/")
    assert (public["Cache-Control"], "Log out" in public.content.decode()) == (PUBLIC, False)


def test_each_language_is_cached_apart_and_varies_on_accept_language(
    client: Client, django_assert_num_queries: type[DjangoAssertNumQueries]
) -> None:
    make_letter("press", arabic=True)
    arabic = client.get("/l/press/", headers={"Accept-Language": "ar"})
    english = client.get("/l/press/", headers={"Accept-Language": "en"})
    with django_assert_num_queries(0):
        again = client.get("/l/press/?lang=ar", headers={"Accept-Language": "en"})
    assert (arabic["Content-Language"], english["Content-Language"]) == ("ar", "en")
    assert (again.content, again["Vary"]) == (arabic.content, "Accept-Language")


def test_missing_letter_is_not_remembered(client: Client) -> None:
    assert client.get("/l/press/").status_code == 404
    make_letter("press")
    assert client.get("/l/press/").status_code == 200
    from_cache(client, "/l/press/")


def test_cached_page_changes_at_once_after_an_answer_is_recorded(client: Client) -> None:
    letter = make_letter("press", state=State.DELIVERED, demands=("Cancel it.",))
    client.get("/l/press/")
    assert "status-refused" not in from_cache(client, "/l/press/")
    response_record(
        demand=Demand.objects.get(letter=letter),
        user=make_organizer(),
        status="refused",
        happened_on=timezone.localdate(),
    )
    html = client.get("/l/press/").content.decode()
    assert re.findall(r'class="status status-(\w+)"', html) == ["refused"]
