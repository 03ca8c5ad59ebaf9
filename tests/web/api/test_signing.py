"""The signing API (docs/design.md section 8b): shapes, statuses and the identical 202."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.signing.helpers import outbox_code, sign
from tests.support.factories import make_letter
from undersigned.crypto.canonical import parse_canonical
from undersigned.letters.models import Letter
from undersigned.letters.states import State
from undersigned.mail.models import OutboxMessage
from undersigned.signing import services
from undersigned.signing.models import Signature, Verification
from undersigned.signing.selectors import letter_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def post(client: Client, path: str, body: Any) -> tuple[int, Any]:
    response = client.post(path, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def base(letter: Letter) -> str:
    return f"/api/v1/letters/{letter.slug}"


def test_start_answers_identically_for_new_and_already_signed_mailbox(
    client: Client, letter: Letter
) -> None:
    sign(letter, "signed@example.org")
    body = {"tier": "public", "name": "Ana Lima"}

    fresh = post(client, f"{base(letter)}/signatures", {**body, "email": "new@example.org"})
    again = post(client, f"{base(letter)}/signatures", {**body, "email": "signed@example.org"})

    assert fresh == again
    assert fresh[0] == 202


def test_confirm_twice_answers_201_with_the_same_receipt(client: Client, letter: Letter) -> None:
    post(client, f"{base(letter)}/signatures", {"email": "ana@example.org", "tier": "counted"})
    body = {"email": "ana@example.org", "code": outbox_code("ana@example.org")}

    first = post(client, f"{base(letter)}/signatures/confirm", body)
    # The answer to the first was lost on the way; the client sends the same request again.
    again = post(Client(), f"{base(letter)}/signatures/confirm", body)

    assert (first[0], again) == (201, first)
    assert Signature.objects.count() == 1


def test_start_then_confirm_returns_receipt(client: Client, letter: Letter) -> None:
    post(client, f"{base(letter)}/signatures", {"email": "ana@example.org", "tier": "counted"})

    status, body = post(
        client,
        f"{base(letter)}/signatures/confirm",
        {"email": "ana@example.org", "code": outbox_code("ana@example.org")},
    )

    assert status == 201
    assert body == {
        "receipt_secret": body["receipt_secret"],
        "signature": {"tier": "counted", "signed_on": timezone.localdate().isoformat()},
        "entry": body["entry"],
        "leaf_hash": hashlib.sha256(b"\x00" + body["entry"].encode()).hexdigest(),
        "log_url": f"http://testserver/l/{letter.slug}/log/",
    }
    assert len(body["receipt_secret"]) == 43
    entry = parse_canonical(body["entry"].encode())
    assert (entry["type"], entry["tier"], entry["date"]) == (
        "signature",
        "counted",
        timezone.localdate().isoformat(),
    )


def test_start_wrong_domain_is_422(client: Client, letter: Letter) -> None:
    status, body = post(
        client, f"{base(letter)}/signatures", {"email": "ana@evil.test", "tier": "counted"}
    )

    assert (status, body["error"]["code"]) == (422, "wrong_domain")
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ana@example.org", "tier": "public"},  # public needs a name
        {"email": "ana@example.org", "tier": "royal", "name": "A"},
        {"invite_code": "ABCD-EFGH-JKMN", "tier": "anonymous"},  # tokens come from /tokens
        {"email": "ana@example.org", "tier": "anonymous", "updates": True},
        {"email": "ana@example.org", "tier": "public", "name": "x" * 121},
        {"email": "ana@example.org", "tier": "public", "name": "Ana\u202eevil"},
        {"email": "ana@example.org", "tier": "public", "name": "Ana\x00"},
        {"email": "ana@example.org", "tier": "public", "name": "Ana\nLima"},
        {"email": "ana@example.org", "tier": "public", "name": 5},
        {"email": "not an email", "tier": "counted"},
        {"tier": "counted"},
        {"email": "ana@example.org", "invite_code": "ABCD-EFGH-JKMN", "tier": "counted"},
    ],
)
def test_start_malformed_fields_are_422_and_store_nothing(
    client: Client, letter: Letter, body: dict[str, Any]
) -> None:
    status, answer = post(client, f"{base(letter)}/signatures", body)

    assert (status, sorted(answer)) == (422, ["error"])
    assert (Verification.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_start_counted_with_name_stores_no_name(client: Client, letter: Letter) -> None:
    post(
        client,
        f"{base(letter)}/signatures",
        {"email": "ana@example.org", "tier": "counted", "name": "Secret Name"},
    )
    post(
        client,
        f"{base(letter)}/signatures/confirm",
        {"email": "ana@example.org", "code": outbox_code("ana@example.org")},
    )

    assert Signature.objects.get().name == ""


def test_invite_code_signs_directly_with_201_then_409(client: Client, letter: Letter) -> None:
    code = services.invite_batch_create(letter=letter, size=1)[0]
    body = {"invite_code": code.lower().replace("-", " "), "tier": "public", "name": "Bo"}

    first = post(client, f"{base(letter)}/signatures", body)
    second = post(client, f"{base(letter)}/signatures", body)

    assert (first[0], first[1]["signature"]["tier"]) == (201, "public")
    assert second == (
        409,
        {
            "error": {
                "code": "invite_code_used",
                "message": "This invite code has already been used.",
            }
        },
    )
    assert OutboxMessage.objects.count() == 0


def test_invite_code_unknown_is_400(client: Client, letter: Letter) -> None:
    status, body = post(
        client,
        f"{base(letter)}/signatures",
        {"invite_code": "AAAA-BBBB-CCCC", "tier": "counted"},
    )

    assert (status, body["error"]["code"]) == (400, "unknown_invite_code")


def test_confirm_wrong_code_is_400_malformed_is_422(client: Client, letter: Letter) -> None:
    post(client, f"{base(letter)}/signatures", {"email": "ana@example.org", "tier": "counted"})
    path = f"{base(letter)}/signatures/confirm"

    wrong = post(client, path, {"email": "ana@example.org", "code": "00000000"})
    malformed = post(client, path, {"email": "ana@example.org", "code": "12ab"})

    assert (wrong[0], wrong[1]["error"]["code"]) == (400, "invalid_code")
    assert (malformed[0], malformed[1]["error"]["code"]) == (422, "invalid_input")


def test_confirm_wrong_code_for_unknown_and_pending_mailbox_look_the_same(
    client: Client, letter: Letter
) -> None:
    post(client, f"{base(letter)}/signatures", {"email": "ana@example.org", "tier": "counted"})
    path = f"{base(letter)}/signatures/confirm"

    pending = post(client, path, {"email": "ana@example.org", "code": "00000000"})
    unknown = post(client, path, {"email": "nobody@example.org", "code": "00000000"})

    assert pending == unknown


def test_withdraw_by_receipt_returns_200_and_drops_count(client: Client, letter: Letter) -> None:
    receipt = sign(letter, "ana@example.org")

    status, body = post(client, f"{base(letter)}/withdrawals", {"receipt_secret": receipt.secret})

    assert (status, body) == (
        200,
        {"status": "withdrawn", "withdrawn_on": timezone.localdate().isoformat()},
    )
    assert letter_counts(letter_id=letter.pk).total == 0


def test_withdraw_by_mailbox_and_code(client: Client, letter: Letter) -> None:
    sign(letter, "ana@example.org")
    start = post(client, f"{base(letter)}/withdrawals/start", {"email": "ana@example.org"})

    status, _ = post(
        client,
        f"{base(letter)}/withdrawals",
        {"email": "ana@example.org", "code": outbox_code("ana@example.org")},
    )

    assert (start[0], status, letter_counts(letter_id=letter.pk).total) == (202, 200, 0)


def test_withdrawal_start_identical_for_signer_and_stranger(client: Client, letter: Letter) -> None:
    sign(letter, "ana@example.org")
    path = f"{base(letter)}/withdrawals/start"

    assert post(client, path, {"email": "ana@example.org"}) == post(
        client, path, {"email": "bo@example.org"}
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"receipt_secret": "x" * 43, "email": "ana@example.org", "code": "12345678"},
        {"email": "ana@example.org"},
        {"receipt_secret": "short"},
    ],
)
def test_withdraw_ambiguous_or_malformed_body_is_422(
    client: Client, letter: Letter, body: dict[str, str]
) -> None:
    status, answer = post(client, f"{base(letter)}/withdrawals", body)

    assert (status, answer["error"]["code"]) == (422, "invalid_input")


def test_signatories_api_pages_public_tier(client: Client, letter: Letter) -> None:
    sign(letter, "a@example.org", name="Ana", title="Engineer", department="Cloud")
    sign(letter, "b@example.org", name="Hidden", tier="recipient")

    response = client.get(f"{base(letter)}/signatories?page=1")

    assert (response.status_code, response.json()) == (
        200,
        {
            "page": 1,
            "page_size": 50,
            "has_next": False,
            "total": 1,
            "signatories": [
                {
                    "name": "Ana",
                    "title": "Engineer",
                    "department": "Cloud",
                    "location": "",
                    "signed_on": timezone.localdate().isoformat(),
                }
            ],
        },
    )


@pytest.mark.parametrize("page", ["0", "-1", "abc", "100001", "1e3"])
def test_signatories_api_bad_page_is_422(client: Client, letter: Letter, page: str) -> None:
    response = client.get(f"{base(letter)}/signatories?page={page}")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", "/signatures"), ("post", "/signatures/confirm"), ("get", "/signatories")],
)
def test_unknown_or_draft_letter_is_404(client: Client, method: str, suffix: str) -> None:
    draft = make_letter(state=State.DRAFT)
    for slug in ("no-such-letter", draft.slug):
        path = f"/api/v1/letters/{slug}{suffix}"
        body = {"email": "a@example.org", "code": "12345678", "tier": "counted"}
        if method == "get":
            response = client.get(path)
        else:
            response = client.post(path, json.dumps(body), content_type="application/json")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_closed_letter_refuses_signing_with_409(client: Client) -> None:
    letter = make_letter(state=State.CLOSED)

    status, body = post(
        client, f"{base(letter)}/signatures", {"email": "ana@example.org", "tier": "counted"}
    )

    assert (status, body["error"]["code"]) == (409, "letter_closed")


def test_start_rate_limited_per_client_is_429(
    client: Client, letter: Letter, settings: object
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signing-start": (2, 600)}  # type: ignore[attr-defined]
    body = {"email": "ana@example.org", "tier": "counted"}
    for _ in range(2):
        post(client, f"{base(letter)}/signatures", body)

    status, answer = post(client, f"{base(letter)}/signatures", body)

    assert (status, answer["error"]["code"]) == (429, "rate_limited")


def test_start_too_many_messages_to_one_mailbox_is_429(
    client: Client, letter: Letter, settings: object
) -> None:
    settings.SIGNING_MAX_SENDS_PER_HOUR = 1  # type: ignore[attr-defined]
    body = {"email": "ana@example.org", "tier": "counted"}
    post(client, f"{base(letter)}/signatures", body)

    status, answer = post(client, f"{base(letter)}/signatures", body)

    assert (status, answer["error"]["code"]) == (429, "too_many_messages")


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"\xff\xfe{", 400), (b"{not json", 400), (b"[1, 2]", 400), (b"x" * 300_000, 413)],
)
def test_start_garbage_bodies_are_4xx(
    client: Client, letter: Letter, raw: bytes, status: int
) -> None:
    response = client.post(f"{base(letter)}/signatures", raw, content_type="application/json")

    assert (response.status_code, sorted(response.json())) == (status, ["error"])
    assert Verification.objects.count() == 0


def test_too_many_messages_says_when_to_try_again(client: Client, letter: Letter) -> None:
    body = json.dumps({"email": "ana@example.org", "tier": "counted"})
    path = f"{base(letter)}/signatures"
    for _ in range(5):
        client.post(path, body, content_type="application/json")

    refused = client.post(path, body, content_type="application/json")

    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "too_many_messages")
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
