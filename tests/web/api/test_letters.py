from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from tests.support.factories import make_addendum, make_letter, set_counts
from undersigned.letters.models import LetterVersion
from undersigned.letters.states import State
from undersigned.letters.versions import letter_text_hash
from undersigned.publiclog.models import LogState

pytestmark = pytest.mark.django_db

NOT_FOUND = {
    "error": {"code": "not_found", "message": "There is no public letter at this address."}
}


def get_json(client: Client, path: str, status: int = 200) -> Any:
    response = client.get(path)
    media_type = response["Content-Type"].split(";")[0]
    assert (response.status_code, media_type) == (status, "application/json")
    return response.json()


def test_letter_detail_full_document(client: Client, settings: Any) -> None:
    settings.SITE_URL = "https://letters.example"
    letter = make_letter(
        "cancel",
        arabic=True,
        title="Cancel the contract",
        body="We ask **now**.",
        goal=250,
        deadline=datetime(2030, 6, 30, 17, 0, tzinfo=UTC),
    )
    addendum = make_addendum(letter, title="Budget", kind="pdf", content=b"%PDF-1.4\n")
    set_counts(letter, public=2, recipient=1, counted=5, anonymous=3)
    data = get_json(client, "/api/v1/letters/cancel")
    assert data == {
        "slug": "cancel",
        "state": "open",
        "default_language": "en",
        "languages": ["en", "ar"],
        "texts": [
            {
                "language": "en",
                "title": "Cancel the contract",
                "body_markdown": "We ask **now**.",
                "body_html": "<p>We ask <strong>now</strong>.</p>",
            },
            {
                "language": "ar",
                "title": "ألغوا العقد",
                "body_markdown": "نحن الموقعين أدناه نطالب.",
                "body_html": "<p>نحن الموقعين أدناه نطالب.</p>",
            },
        ],
        "goal": 250,
        "opens_at": None,
        "deadline": "2030-06-30T17:00:00Z",
        "deliver_at": None,
        "demands": [
            {
                "position": 0,
                "texts": {"en": "Cancel all active offers", "ar": "مطلب 1"},
                "status": "pending",
                "timeline": [],
            },
            {
                "position": 1,
                "texts": {"en": "Publish what we sell", "ar": "مطلب 2"},
                "status": "pending",
                "timeline": [],
            },
        ],
        "addenda": [
            {
                "id": addendum.pk,
                "title": "Budget",
                "language": "en",
                "kind": "pdf",
                "sha256": hashlib.sha256(b"%PDF-1.4\n").hexdigest(),
                "size": 9,
                "translation_of": None,
                "url": f"https://letters.example/l/cancel/addenda/{addendum.pk}/budget.pdf",
            }
        ],
        "counts": {
            "total": 11,
            "per_tier": {"public": 2, "recipient": 1, "counted": 5, "anonymous": 3},
            "pending": 0,
            "tokens": {"issued": 0, "redeemed": 0},
        },
        "version": 1,
        "versions": [
            {
                "number": 1,
                "date": str(LetterVersion.objects.get(letter=letter).created_on),
                "note": "",
                "text_hash": letter_text_hash(letter=letter),
                "count": 11,
            }
        ],
        "delivery": None,
        "log_url": "https://letters.example/l/cancel/log/",
        "verifier_key": LogState.objects.get(letter=letter).vkey,
        "issuance_key": None,
        "token_challenge": None,
    }


def test_letter_detail_addendum_url_serves_the_hashed_bytes(client: Client) -> None:
    letter = make_letter("cancel")
    make_addendum(letter, content=b"# Facts\n")
    item = get_json(client, "/api/v1/letters/cancel")["addenda"][0]
    served = client.get(item["url"].removeprefix("http://testserver"))
    assert hashlib.sha256(served.content).hexdigest() == item["sha256"]


def test_letter_count_small_and_cacheable(client: Client) -> None:
    letter = make_letter("cancel")
    set_counts(letter, public=4, anonymous=6, pending=3)
    response = client.get("/api/v1/letters/cancel/count")
    assert (response.status_code, response["Cache-Control"]) == (
        200,
        "public, max-age=5, stale-while-revalidate=25",
    )
    assert response.json() == {
        "total": 10,
        "per_tier": {"public": 4, "recipient": 0, "counted": 0, "anonymous": 6},
        "pending": 3,
        "tokens": {"issued": 0, "redeemed": 0},
    }


def test_letter_count_fixed_queries(client: Client, django_assert_max_num_queries: Any) -> None:
    make_letter("cancel")
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/letters/cancel/count").status_code == 200


def test_letter_detail_fixed_queries(client: Client, django_assert_max_num_queries: Any) -> None:
    letter = make_letter("cancel", arabic=True, demands=tuple(f"D{i}" for i in range(20)))
    for number in range(5):
        make_addendum(letter, title=f"Doc {number}")
    # Includes one for the issuance key (signing.selectors.letter_issuer) and two for the
    # versions (their rows, and their counts in the log's state).
    with django_assert_max_num_queries(11):
        assert client.get("/api/v1/letters/cancel").status_code == 200


@pytest.mark.parametrize("suffix", ["", "/count"])
@pytest.mark.parametrize("state", [State.DRAFT, State.ARCHIVED])
def test_hidden_letter_is_404_in_our_format(client: Client, state: str, suffix: str) -> None:
    make_letter("hidden", state=state)
    assert get_json(client, f"/api/v1/letters/hidden{suffix}", 404) == NOT_FOUND


@pytest.mark.parametrize("suffix", ["", "/count"])
def test_unknown_letter_is_404_in_our_format(client: Client, suffix: str) -> None:
    assert get_json(client, f"/api/v1/letters/nothing{suffix}", 404) == NOT_FOUND


@pytest.mark.parametrize("state", [State.CLOSED, State.DELIVERED])
def test_closed_and_delivered_letters_are_public(client: Client, state: str) -> None:
    make_letter("done", state=state)
    assert get_json(client, "/api/v1/letters/done")["state"] == state


@pytest.mark.parametrize(
    "slug",
    [
        "%00",
        "%FF%FE",
        "caf%C3%A9",
        "a%20b",
        "%E2%80%AEevil",
        "x" * 300,
        "..",
        "%2e%2e",
        "'%20OR%201=1--",
        "<script>",
    ],
)
def test_invalid_slug_is_404_in_our_format(client: Client, slug: str) -> None:
    response = client.get(f"/api/v1/letters/{slug}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_letter_detail_post_is_405_in_our_format(client: Client) -> None:
    make_letter("cancel")
    response = client.post("/api/v1/letters/cancel", data={}, content_type="application/json")
    assert (response.status_code, response["Allow"]) == (405, "GET")
    assert response.json() == {
        "error": {
            "code": "method_not_allowed",
            "message": "This method is not allowed here. Allowed: GET.",
        }
    }


def test_letter_detail_rendered_html_is_sanitized(client: Client) -> None:
    make_letter("cancel", body="[x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    text = get_json(client, "/api/v1/letters/cancel")["texts"][0]
    assert text["body_html"] == (
        "<p>[x](javascript&#58;alert(1)) &lt;img src=x onerror=alert(1)&gt;</p>"
    )
