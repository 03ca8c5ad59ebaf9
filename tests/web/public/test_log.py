from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_django import DjangoAssertNumQueries

from tests.publiclog.helpers import Signed, sign, sign_many
from tests.support.factories import make_letter
from undersigned.crypto.merkle import leaf_hash
from undersigned.crypto.note import open_checkpoint, verifier_from_vkey
from undersigned.crypto.tiles import TileReader, decode_bundle
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.publiclog import services
from undersigned.publiclog.models import LogState
from undersigned.publiclog.sequencer import log_sequence

pytestmark = pytest.mark.django_db


def _sequenced(letter: Letter, count: int, batch_max: int = 1000) -> list[Signed]:
    signed = sign_many(letter, count, tier="public")
    while log_sequence(letter_id=letter.pk, batch_max=batch_max):
        pass
    return signed


def test_checkpoint_is_served_as_text_without_caching(client: Client) -> None:
    letter = make_letter("cp")
    _sequenced(letter, 3)
    response = client.get("/l/cp/log/checkpoint")
    state = LogState.objects.get(letter=letter)
    assert (response.status_code, response.content.decode()) == (200, state.checkpoint)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("checkpoint", "*"),
        ("vkey", "*"),
        ("tile/0/000.p/4", "*"),
        ("tile/entries/000.p/4", "*"),
        ("", None),  # the log's page is for people, not for other sites' scripts
    ],
)
def test_log_resources_alone_allow_any_origin(
    client: Client, path: str, allowed: str | None
) -> None:
    letter = make_letter("cors")
    _sequenced(letter, 3)  # the genesis entry and three signatures

    response = client.get(f"/l/cors/log/{path}", HTTP_ORIGIN="https://elsewhere.example")

    assert (response.status_code, response.get("Access-Control-Allow-Origin")) == (200, allowed)


def test_vkey_is_served(client: Client) -> None:
    letter = make_letter("vk")
    services.log_open(letter=letter)
    response = client.get("/l/vk/log/vkey")
    assert response.content.decode() == LogState.objects.get(letter=letter).vkey + "\n"


def test_full_and_partial_tiles_have_their_cache_headers(client: Client) -> None:
    letter = make_letter("tiles")
    _sequenced(letter, 299)  # 300 entries: one full tile, one partial of 44
    full = client.get("/l/tiles/log/tile/0/000")
    partial = client.get("/l/tiles/log/tile/0/001.p/44")
    assert (full.status_code, len(full.content)) == (200, 8192)
    assert full["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full["Content-Type"] == "application/octet-stream"
    assert (partial.status_code, len(partial.content)) == (200, 44 * 32)
    assert partial["Cache-Control"] == "public, max-age=60"
    bundle = client.get("/l/tiles/log/tile/entries/001.p/44")
    assert len(decode_bundle(bundle.content, 44)) == 44


def test_tiles_prove_the_checkpoint_and_older_partials_stay_served(client: Client) -> None:
    letter = make_letter("grow")
    _sequenced(letter, 9)
    old = client.get("/l/grow/log/tile/0/000.p/10").content
    _sequenced(letter, 30)
    assert client.get("/l/grow/log/tile/0/000.p/10").content == old
    state = LogState.objects.get(letter=letter)
    checkpoint, _ = open_checkpoint(state.checkpoint, verifier_from_vkey(state.vkey))

    def fetch(path: str) -> bytes:
        response = client.get(f"/l/grow/log/{path}")
        if response.status_code != 200:
            raise LookupError(path)
        return response.content

    assert TileReader(checkpoint.size, fetch).root() == checkpoint.root_hash


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/001",  # beyond the log
        "tile/0/000.p/200",  # wider than what exists
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/0",
        "tile/0/x000/005",
        "tile/64/000",
        "tile/entries/000.p/11",
        "tile/entries/../000",
        "tile/%00/000",
        "tile/0/000/",
        "tile/",
        "tiles/0/000",
        "checkpoint/x",
    ],
)
def test_unknown_or_malformed_paths_are_404(client: Client, path: str) -> None:
    _sequenced(make_letter("paths"), 9)
    assert client.get(f"/l/paths/log/{path}").status_code == 404


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_random_tile_paths_never_fail_the_server(path: str) -> None:
    client = Client(raise_request_exception=False)
    if not Letter.objects.filter(slug="fuzz").exists():
        services.log_open(letter=make_letter("fuzz"))
    response = client.get("/l/fuzz/log/tile/" + path)
    assert response.status_code in (200, 404)


def test_log_of_a_draft_or_unknown_letter_is_404(client: Client) -> None:
    services.log_open(letter=make_letter("secret-draft", state=State.DRAFT))
    assert client.get("/l/secret-draft/log/checkpoint").status_code == 404
    assert client.get("/l/secret-draft/log/").status_code == 404
    assert client.get("/l/nobody/log/checkpoint").status_code == 404
    make_letter("no-log-yet")
    assert client.get("/l/no-log-yet/log/checkpoint").status_code == 404
    assert client.get("/l/no-log-yet/log/").status_code == 200


def test_tiles_refuse_other_methods(client: Client) -> None:
    _sequenced(make_letter("methods"), 1)
    assert client.post("/l/methods/log/checkpoint").status_code == 405


# ---- the page and its receipt check ----------------------------------------------------


def _check(client: Client, slug: str, text: str) -> tuple[int, str]:
    response = client.post(f"/l/{slug}/log/", {"receipt": text})
    return response.status_code, response.content.decode()


def test_page_explains_and_shows_the_command(client: Client) -> None:
    letter = make_letter("page")
    _sequenced(letter, 2)
    state = LogState.objects.get(letter=letter)
    html = client.get("/l/page/log/").content.decode()
    command = f"undersigned verify http://testserver/l/page/log/ --key '{state.vkey}'"
    assert html.count(command) == 4
    assert (html.count("<script"), html.count("style=")) == (0, 0)


def test_receipt_check_confirms_an_included_receipt(client: Client) -> None:
    letter = make_letter("check")
    mine = _sequenced(letter, 5)[2]
    status, html = _check(client, "check", json.dumps(mine.receipt_json()))
    assert status == 200
    assert "Your signature is in the log</strong>, as entry" in html
    assert "The receipt secret matches the entry: it is yours." in html
    assert "It is counted." in html


def test_receipt_check_with_only_the_secret(client: Client) -> None:
    letter = make_letter("secret-only")
    mine = _sequenced(letter, 3)[0]
    status, html = _check(client, "secret-only", mine.secret)
    assert (status, "Your signature is in the log" in html) == (200, True)


def test_receipt_check_reports_pending_and_withdrawn(client: Client) -> None:
    letter = make_letter("states")
    waiting = sign(letter)
    assert "waiting for the next update" in _check(client, "states", waiting.secret)[1]
    while log_sequence(letter_id=letter.pk):
        pass
    services.log_enqueue_withdrawal(
        letter_id=waiting.signature.letter_id,
        signature_id=waiting.signature.pk,
        on=waiting.signature.withdrawn_on,
    )
    while log_sequence(letter_id=letter.pk):
        pass
    assert (
        "It is no longer counted: it was withdrawn." in _check(client, "states", waiting.secret)[1]
    )


def test_receipt_check_catches_a_forged_receipt(client: Client) -> None:
    letter = make_letter("forged")
    mine = _sequenced(letter, 2)[0]
    forged = {**mine.receipt_json(), "receipt_secret": "A" * 43}
    _, html = _check(client, "forged", json.dumps(forged))
    assert "The receipt secret does not match this entry." in html
    other = {"entry": mine.receipt.entry.decode().replace('"tier":"public"', '"tier":"counted"')}
    _, html = _check(client, "forged", json.dumps(other))
    assert "This receipt does not check out.</strong> The entry in this receipt is not" in html
    stranger = {"entry": sign(make_letter()).receipt.entry.decode()}
    _, html = _check(client, "forged", json.dumps(stranger))
    assert "This receipt is not in this letter's log." in html
    tampered = {"entry": mine.receipt.entry.decode(), "leaf_hash": leaf_hash(b"x").hex()}
    _, html = _check(client, "forged", json.dumps(tampered))
    assert "The leaf hash in this receipt is not its entry&#x27;s hash." in html


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json at all, with spaces",
        "[1, 2]",
        '{"entry": 5}',
        '{"leaf_hash": "xyz", "entry": "{}"}',
        '{"foo": "bar"}',
        "\u202e" + "A" * 43,
        "x" * 20_001,
    ],
)
def test_receipt_check_refuses_bad_input_with_400(client: Client, text: str) -> None:
    _sequenced(make_letter("bad"), 1)
    status, html = _check(client, "bad", text)
    assert (status, 'role="alert"' in html) == (400, True)


def test_checkpoint_of_archived_letter_stays_public(client: Client) -> None:
    letter = make_letter(state=State.OPEN)
    services.log_open(letter=letter)
    log_sequence(letter_id=letter.pk)
    Letter.objects.filter(pk=letter.pk).update(state=State.ARCHIVED)

    response = client.get(f"/l/{letter.slug}/log/checkpoint")

    assert (response.status_code, response.content.decode().split("\n")[1]) == (200, "1")


def test_checkpoint_from_the_cache_changes_when_the_sequencer_publishes(
    client: Client, django_assert_num_queries: type[DjangoAssertNumQueries]
) -> None:
    letter = make_letter("cp")
    _sequenced(letter, 2)
    first = client.get("/l/cp/log/checkpoint")
    with django_assert_num_queries(0):
        again = client.get("/l/cp/log/checkpoint", headers={"If-None-Match": first["ETag"]})
    _sequenced(letter, 1)
    latest = client.get("/l/cp/log/checkpoint")
    state = LogState.objects.get(letter=letter)
    assert (again.status_code, latest.content.decode(), latest["Cache-Control"]) == (
        304,
        state.checkpoint,
        "no-cache",
    )
