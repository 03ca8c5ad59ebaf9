"""Anonymous signing through the HTTP API: the happy path, and a clear 4xx for each bad input."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.signing.anonymous_helpers import blinded_request, flip, token_by_email
from tests.signing.helpers import outbox_code
from tests.support.factories import make_letter
from undersigned.crypto import logentries, tokens
from undersigned.crypto.anonymous import letter_challenge
from undersigned.letters.models import Letter
from undersigned.signing import services
from undersigned.signing.models import Issuance, Signature, Verification
from undersigned.signing.selectors import TokenCounts, token_counts

pytestmark = pytest.mark.django_db

HYPOTHESIS = hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def letter(settings: Any) -> Letter:
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "signing-confirm": (100_000, 600),
        "signing-redeem": (100_000, 600),
    }
    return make_letter(domains=["example.org"])


def post(client: Client, path: str, body: Any) -> tuple[int, Any]:
    response = client.post(path, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def base(letter: Letter) -> str:
    return f"/api/v1/letters/{letter.slug}"


def _start(client: Client, letter: Letter, email: str = "ana@example.org") -> str:
    status, _ = post(client, f"{base(letter)}/signatures", {"email": email, "tier": "anonymous"})
    assert status == 202
    return outbox_code(email)


def test_email_code_token_and_redemption(client: Client, letter: Letter) -> None:
    code = _start(client, letter)
    request, state = blinded_request(letter)

    status, issued = post(
        client,
        f"{base(letter)}/tokens",
        {"email": "ana@example.org", "code": code, "token_request": b64(request)},
    )
    token = tokens.finalize_token(state, base64.b64decode(issued["token_response"])).encode()
    redeemed, receipt = post(
        client, f"{base(letter)}/anonymous-signatures", {"token": b64(token), "department": "Ops"}
    )

    assert (status, sorted(issued)) == (200, ["token_response"])
    assert redeemed == 201
    assert receipt["signature"] == {"tier": "anonymous", "signed_on": str(timezone.localdate())}
    entry = logentries.parse_entry(receipt["entry"].encode())
    assert (entry.tier, entry.token) == ("anonymous", token)
    assert receipt["log_url"] == f"http://testserver/l/{letter.slug}/log/"
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=1)


def test_invite_code_token(client: Client, letter: Letter) -> None:
    invite = services.invite_batch_create(letter=letter, size=1)[0]
    request, state = blinded_request(letter)

    status, issued = post(
        client, f"{base(letter)}/tokens", {"invite_code": invite, "token_request": b64(request)}
    )

    assert status == 200
    token = tokens.finalize_token(state, base64.b64decode(issued["token_response"]))
    assert token.nonce == tokens.Token.decode(token.encode()).nonce


def test_letter_api_publishes_key_challenge_and_token_counts(
    client: Client, letter: Letter
) -> None:
    key = services.anonymous_open(letter=letter)

    body = client.get(base(letter)).json()
    count = client.get(f"{base(letter)}/count").json()

    assert (body["issuance_key"], body["token_challenge"]) == (
        b64(bytes(key.spki)),
        b64(letter_challenge(f"testserver/l/{letter.slug}/").encode()),
    )
    assert count["tokens"] == {"issued": 0, "redeemed": 0}


def test_token_request_in_urlsafe_base64_without_padding_is_accepted(
    client: Client, letter: Letter
) -> None:
    code = _start(client, letter)
    request, _ = blinded_request(letter)
    urlsafe = base64.urlsafe_b64encode(request).decode().rstrip("=")

    status, _ = post(
        client,
        f"{base(letter)}/tokens",
        {"email": "ana@example.org", "code": code, "token_request": urlsafe},
    )

    assert status == 200


# Stand-ins, replaced in the test: the mailed code, and token requests made from a valid one.
ANA = {"email": "ana@example.org", "code": "CODE"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"token_request": "AAAA"}, (422, "invalid_input")),
        ({"email": "ana@example.org", "token_request": "GOOD"}, (422, "invalid_input")),
        ({**ANA, "invite_code": "x", "token_request": "GOOD"}, (422, "invalid_input")),
        (ANA, (422, "invalid_input")),
        ({**ANA, "code": "abc", "token_request": "GOOD"}, (422, "invalid_input")),
        ({**ANA, "token_request": "!!!"}, (422, "invalid_token_request")),
        ({**ANA, "token_request": ""}, (422, "invalid_token_request")),
        ({**ANA, "token_request": "A" * 400}, (422, "invalid_token_request")),
        ({**ANA, "token_request": "TRUNCATED"}, (422, "invalid_token_request")),
        ({**ANA, "token_request": "OTHERTYPE"}, (422, "invalid_token_request")),
        ({**ANA, "token_request": "OTHERKEY"}, (422, "invalid_token_request")),
        ({**ANA, "code": "00000000", "token_request": "GOOD"}, (400, "invalid_code")),
        ({**ANA, "email": "bob@evil.test", "token_request": "GOOD"}, (422, "wrong_domain")),
        ({"invite_code": "ABCD-EFGH-JKMN", "token_request": "GOOD"}, (400, "unknown_invite_code")),
        ({**ANA, "email": 5, "token_request": "GOOD"}, (422, "invalid_input")),
    ],
)
def test_bad_token_requests_are_refused_and_use_up_nothing(
    client: Client, letter: Letter, body: dict[str, Any], expected: tuple[int, str]
) -> None:
    code = _start(client, letter)
    request, _ = blinded_request(letter)
    stand_ins = {
        "CODE": code,
        "GOOD": b64(request),
        "TRUNCATED": b64(request[:-1]),
        "OTHERTYPE": b64(b"\x00\x01" + request[2:]),
        "OTHERKEY": b64(request[:2] + bytes([(request[2] + 1) % 256]) + request[3:]),
    }
    sent = {k: stand_ins.get(v, v) if isinstance(v, str) else v for k, v in body.items()}

    status, answer = post(client, f"{base(letter)}/tokens", sent)

    assert (status, answer["error"]["code"]) == expected
    assert (Issuance.objects.count(), token_counts(letter_id=letter.pk).issued) == (0, 0)


def test_replayed_token_is_409(client: Client, letter: Letter) -> None:
    token = b64(token_by_email(letter, "ana@example.org"))
    post(client, f"{base(letter)}/anonymous-signatures", {"token": token})

    status, answer = post(client, f"{base(letter)}/anonymous-signatures", {"token": token})

    assert (status, answer["error"]["code"]) == (409, "token_used")
    assert Signature.objects.count() == 1


def _altered(token: bytes, how: str) -> str:
    changes = {
        "tampered": lambda: b64(flip(token, len(token) - 1)),
        "truncated": lambda: b64(token[:-4]),
        "not base64": lambda: "this is not a token!",
        "empty": lambda: "",
        "huge": lambda: "A" * 100_000,
        "other type": lambda: b64(b"\x00\x01" + token[2:]),
    }
    return changes[how]()


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("tampered", "invalid_token"),
        ("truncated", "invalid_token"),
        ("not base64", "invalid_token"),
        ("empty", "invalid_token"),
        ("huge", "invalid_token"),
        ("other type", "invalid_token"),
    ],
)
def test_malformed_tokens_are_422(client: Client, letter: Letter, how: str, code: str) -> None:
    token = token_by_email(letter, "ana@example.org")

    status, answer = post(
        client, f"{base(letter)}/anonymous-signatures", {"token": _altered(token, how)}
    )

    assert (status, answer["error"]["code"]) == (422, code)
    assert Signature.objects.count() == 0


def test_token_of_another_letter_is_422(client: Client, letter: Letter) -> None:
    other = make_letter(domains=["example.org"])
    token = b64(token_by_email(other, "ana@example.org"))

    status, answer = post(client, f"{base(letter)}/anonymous-signatures", {"token": token})

    assert (status, answer["error"]["code"]) == (422, "token_for_another_letter")


def test_hostile_department_is_422_and_token_stays_unused(client: Client, letter: Letter) -> None:
    token = b64(token_by_email(letter, "ana@example.org"))

    refused = post(
        client,
        f"{base(letter)}/anonymous-signatures",
        {"token": token, "department": "Ops\u202eevil"},
    )
    accepted = post(client, f"{base(letter)}/anonymous-signatures", {"token": token})

    assert (refused[0], refused[1]["error"]["code"]) == (422, "invalid_input")
    assert accepted[0] == 201


def test_redeem_rate_limited_per_client(client: Client, letter: Letter, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signing-redeem": (2, 600)}
    statuses = [
        post(client, f"{base(letter)}/anonymous-signatures", {"token": "AAAA"})[0] for _ in range(3)
    ]

    assert statuses == [422, 422, 429]


json_value = st.one_of(
    st.text(max_size=600),
    st.binary(max_size=400).map(lambda b: base64.b64encode(b).decode()),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)


@HYPOTHESIS
@given(body=st.dictionaries(st.sampled_from(["token", "department", "x"]), json_value))
def test_any_redemption_body_is_4xx_and_stores_nothing(
    client: Client, letter: Letter, body: dict[str, Any]
) -> None:
    response = client.post(
        f"{base(letter)}/anonymous-signatures", json.dumps(body), content_type="application/json"
    )

    assert 400 <= response.status_code < 500
    assert sorted(response.json()) == ["error"]
    assert Signature.objects.count() == 0


@HYPOTHESIS
@given(
    body=st.dictionaries(
        st.sampled_from(["email", "code", "invite_code", "token_request"]), json_value
    )
)
def test_any_token_body_is_4xx_and_stores_nothing(
    client: Client, letter: Letter, body: dict[str, Any]
) -> None:
    response = client.post(
        f"{base(letter)}/tokens", json.dumps(body), content_type="application/json"
    )

    assert 400 <= response.status_code < 500
    assert sorted(response.json()) == ["error"]
    assert (Issuance.objects.count(), Verification.objects.count()) == (0, 0)
