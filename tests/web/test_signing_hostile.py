"""Hostile and malformed input on every signing endpoint: a clear 4xx, nothing half stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.support.factories import make_letter
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage
from undersigned.signing.models import InviteCode, Signature, Verification

pytestmark = pytest.mark.django_db

HYPOTHESIS = hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Anything a client could put in a JSON string, including controls, bidi overrides, surrogates.
nasty_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["", " ", "\u202eevil", "a\x00b", "<script>x</script>", "x" * 5000, "\ud800", "=1+1"]
    ),
)
json_value = st.one_of(nasty_text, st.integers(), st.booleans(), st.none(), st.lists(st.integers()))


@pytest.fixture
def letter(settings: Any) -> Letter:
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "signing-start": (100_000, 600),
        "signing-confirm": (100_000, 600),
    }
    return make_letter(domains=["example.org"])


def _stored() -> tuple[int, int, int, int]:
    return (
        Verification.objects.count(),
        OutboxMessage.objects.count(),
        Signature.objects.count(),
        InviteCode.objects.filter(used_on__isnull=False).count(),
    )


def _post_json(client: Client, path: str, body: Any) -> int:
    try:
        raw = json.dumps(body)
    except UnicodeEncodeError:
        raw = json.dumps(body, ensure_ascii=True)
    response = client.post(path, raw, content_type="application/json")
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert sorted(response.json()) == ["error"]
    return response.status_code


@HYPOTHESIS
@given(
    body=st.dictionaries(
        st.sampled_from(
            ["email", "invite_code", "tier", "name", "title", "department", "location", "updates"]
        ),
        json_value,
    )
)
def test_api_start_never_500_and_stores_nothing_on_refusal(letter: Letter, body: Any) -> None:
    client = Client()
    before = _stored()

    status = _post_json(client, f"/api/v1/letters/{letter.slug}/signatures", body)

    assert status in {202, 400, 404, 409, 413, 422, 429}
    if status != 202:
        assert _stored() == before


@HYPOTHESIS
@given(
    path=st.sampled_from(["signatures/confirm", "withdrawals", "withdrawals/start"]),
    body=st.dictionaries(st.sampled_from(["email", "code", "receipt_secret"]), json_value),
)
def test_api_confirm_and_withdraw_never_500(letter: Letter, path: str, body: Any) -> None:
    before = _stored()

    status = _post_json(Client(), f"/api/v1/letters/{letter.slug}/{path}", body)

    assert 400 <= status < 500 or status == 202
    if status != 202:
        assert _stored()[2:] == before[2:]


@HYPOTHESIS
@given(raw=st.binary(max_size=500))
def test_api_random_bytes_are_4xx(letter: Letter, raw: bytes) -> None:
    for path in ("signatures", "signatures/confirm", "withdrawals"):
        response = Client().post(
            f"/api/v1/letters/{letter.slug}/{path}", raw, content_type="application/json"
        )
        assert 400 <= response.status_code < 500


@HYPOTHESIS
@given(
    path=st.sampled_from(
        [
            "sign/",
            "sign/code/",
            "sign/invite/",
            "sign/withdraw/",
            "sign/withdraw/email/",
            "sign/withdraw/code/",
            "/c/abc/",
        ]
    ),
    form=st.dictionaries(
        st.sampled_from(
            [
                "email",
                "tier",
                "name",
                "title",
                "department",
                "location",
                "code",
                "invite_code",
                "receipt_secret",
                "language",
                "updates",
                "request",
            ]
        ),
        st.text(max_size=300).filter(lambda s: "\x00" not in s),
    ),
)
def test_web_forms_never_500(letter: Letter, path: str, form: dict[str, str]) -> None:
    before = _stored()

    url = path if path.startswith("/") else f"/l/{letter.slug}/{path}"
    response = Client().post(url, form)

    assert response.status_code in {200, 400, 404, 409, 422, 429}
    if response.status_code != 200:
        assert _stored() == before


@pytest.mark.parametrize("path", ["sign/", "sign/invite/", "sign/withdraw/email/"])
def test_web_forms_invalid_utf8_and_nul_are_4xx(letter: Letter, path: str) -> None:
    body = b"email=%FF%FE%00&tier=public&name=%00%FF"

    response = Client().post(
        f"/l/{letter.slug}/{path}", body, content_type="application/x-www-form-urlencoded"
    )

    assert (response.status_code, _stored()) == (400, (0, 0, 0, 0))


def test_web_form_oversized_body_is_400(letter: Letter) -> None:
    body = b"name=" + b"x" * 300_000

    response = Client().post(
        f"/l/{letter.slug}/sign/", body, content_type="application/x-www-form-urlencoded"
    )

    assert (response.status_code, _stored()) == (400, (0, 0, 0, 0))


@pytest.mark.parametrize("page", ["abc", "-3", "0", "99999999999999999999"])
def test_signatories_page_bad_page_still_renders(client: Client, letter: Letter, page: str) -> None:
    assert client.get(f"/l/{letter.slug}/signatories/?page={page}").status_code == 200
