"""Budgets of unconfirmed messages and the challenge past them (docs/design.md section 4d)."""

from __future__ import annotations

import base64
import json
from collections import Counter as Tally
from typing import Any

import altcha
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.signing.helpers import outbox_code
from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage

pytestmark = pytest.mark.django_db

OFFICE = "203.0.113.7"


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


@pytest.fixture
def cheap(settings: Any) -> None:
    # A challenge Python solves in a moment: these tests are about the protocol, not the cost.
    settings.SIGNING_CHALLENGE_COST = 1


def _start(letter: Letter, email: str, **extra: Any) -> Any:
    return Client(REMOTE_ADDR=OFFICE).post(
        f"/api/v1/letters/{letter.slug}/signatures",
        json.dumps({"email": email, "tier": "counted", **extra}),
        content_type="application/json",
    )


def _solve(challenge: dict[str, Any]) -> str:
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    assert solution is not None
    return altcha.Payload(parsed, solution).to_base64()


def _kind(response: Any) -> str:
    body = response.json()
    if response.status_code == 428 and set(body["challenge"]) == {"parameters", "signature"}:
        return "challenge"
    if response.status_code == 429 and int(response.headers["Retry-After"]) > 0:
        return "retry_after"
    return str(response.status_code)


def test_flood_of_2000_unconfirmed_starts_from_one_address_sends_at_most_200(
    letter: Letter, settings: Any
) -> None:
    outcomes = Tally(_kind(_start(letter, f"stranger{i}@example.org")) for i in range(2000))

    sent = OutboxMessage.objects.count()
    # Past the budget a challenge; past the address's ceiling on starts, a wait.
    ceiling = settings.RATE_LIMITS["signing-start"][0]
    assert sent <= 200
    assert outcomes == Tally(
        {"202": sent, "challenge": ceiling - sent, "retry_after": 2000 - ceiling}
    )


def test_start_past_the_budget_passes_with_a_solved_challenge_once(
    letter: Letter, settings: Any, cheap: None
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 1
    assert _start(letter, "first@example.org").status_code == 202
    refused = _start(letter, "ana@example.org")
    assert (refused.status_code, refused.json()["error"]["code"]) == (428, "challenge_required")

    solved = _solve(refused.json()["challenge"])
    accepted = _start(letter, "ana@example.org", altcha=solved)
    replayed = _start(letter, "bea@example.org", altcha=solved)

    assert accepted.status_code == 202
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (428, "challenge_failed")
    assert OutboxMessage.objects.count() == 2


def test_confirmations_give_the_budget_back(letter: Letter, settings: Any) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 2
    client = Client(REMOTE_ADDR=OFFICE)
    for i in range(30):
        email = f"signer{i}@example.org"
        assert _start(letter, email).status_code == 202
        confirmed = client.post(
            f"/api/v1/letters/{letter.slug}/signatures/confirm",
            json.dumps({"email": email, "code": outbox_code(email)}),
            content_type="application/json",
        )
        assert confirmed.status_code == 201

    assert OutboxMessage.objects.count() == 30


def test_web_start_past_the_budget_shows_the_challenge_widget(
    letter: Letter, settings: Any
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 0
    page = Client(REMOTE_ADDR=OFFICE).post(
        f"/l/{letter.slug}/sign/",
        {"email": "ana@example.org", "tier": "counted", "version": letter.version},
    )

    assert (page.status_code, page.content.count(b"<altcha-widget")) == (428, 1)
    assert OutboxMessage.objects.count() == 0


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
_hostile = st.one_of(
    st.text(max_size=300),
    _json.map(lambda value: base64.b64encode(json.dumps(value).encode()).decode()),
    st.fixed_dictionaries(
        {
            "challenge": st.fixed_dictionaries({"parameters": _json, "signature": _json}),
            "solution": _json,
        }
    ).map(lambda value: base64.b64encode(json.dumps(value).encode()).decode()),
)


@hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(payload=_hostile)
def test_hostile_challenge_payloads_get_a_clear_428(
    letter: Letter, settings: Any, payload: str
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 0
    response = _start(letter, "ana@example.org", altcha=payload)

    assert response.status_code == 428
    assert response.json()["error"]["code"] in {"challenge_required", "challenge_failed"}


def test_withdrawal_starts_past_the_budget_need_the_challenge_too(
    letter: Letter, settings: Any
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 0
    client = Client(REMOTE_ADDR=OFFICE)
    api = client.post(
        f"/api/v1/letters/{letter.slug}/withdrawals/start",
        json.dumps({"email": "ana@example.org"}),
        content_type="application/json",
    )
    page = client.post(f"/l/{letter.slug}/sign/withdraw/email/", {"email": "bea@example.org"})

    assert (api.status_code, api.json()["error"]["code"]) == (428, "challenge_required")
    assert (page.status_code, page.content.count(b"<altcha-widget")) == (428, 1)
    assert OutboxMessage.objects.count() == 0


@hsettings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(counter=_json, derived_key=_json, extra=st.dictionaries(st.text(max_size=8), _json))
def test_hostile_solutions_to_a_real_challenge_get_a_clear_428(
    letter: Letter, settings: Any, cheap: None, counter: Any, derived_key: Any, extra: Any
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 0
    challenge = _start(letter, "ana@example.org").json()["challenge"]
    solution = {**extra, "counter": counter, "derivedKey": derived_key}
    payload = base64.b64encode(json.dumps({"challenge": challenge, "solution": solution}).encode())

    response = _start(letter, "ana@example.org", altcha=payload.decode())

    assert (response.status_code, response.json()["error"]["code"]) == (428, "challenge_failed")


def test_repeated_confirmations_of_one_mailbox_give_the_budget_back_once(
    letter: Letter, settings: Any
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 2
    client = Client(REMOTE_ADDR=OFFICE)
    confirmations = []
    for _ in range(3):
        assert _start(letter, "ana@example.org").status_code == 202
        confirmations.append(
            client.post(
                f"/api/v1/letters/{letter.slug}/signatures/confirm",
                json.dumps({"email": "ana@example.org", "code": outbox_code("ana@example.org")}),
                content_type="application/json",
            ).status_code
        )

    refused = _start(letter, "ana@example.org")

    assert confirmations == [201, 201, 201]
    assert (refused.status_code, refused.json()["error"]["code"]) == (428, "challenge_required")
