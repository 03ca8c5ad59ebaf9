"""The CORS policy (docs/design.md section 8a): no API response lets another site's page in.

Only the log's own resources (checkpoint, vkey, tiles) say `Access-Control-Allow-Origin: *`
(tests/web/public/test_log.py). An API endpoint that changes state sends no Access-Control-*
header and grants no preflight, so a browser never sends another site's JSON POST at all.
"""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.support.factories import make_letter
from tests.support.openapi import body_operations, operation_id
from undersigned.letters.models import Letter

pytestmark = pytest.mark.django_db

ELSEWHERE = "https://elsewhere.example"


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def cors_headers(response: HttpResponse) -> dict[str, str]:
    return {
        name: value
        for name, value in response.items()
        if name.lower().startswith("access-control-")
    }


@pytest.mark.parametrize("operation", body_operations(), ids=operation_id)
def test_state_changing_endpoint_sends_no_cors_headers(
    client: Client, letter: Letter, operation: tuple[str, str]
) -> None:
    method, path = operation

    response = client.generic(
        method,
        path.replace("{slug}", letter.slug),
        json.dumps({"email": "ana@example.org", "tier": "counted"}),
        content_type="application/json",
        HTTP_ORIGIN=ELSEWHERE,
    )

    assert (response.status_code < 500, cors_headers(response)) == (True, {})


@pytest.mark.parametrize("operation", body_operations(), ids=operation_id)
def test_state_changing_endpoint_preflight_not_granted(
    client: Client, letter: Letter, operation: tuple[str, str]
) -> None:
    method, path = operation

    response = client.options(
        path.replace("{slug}", letter.slug),
        HTTP_ORIGIN=ELSEWHERE,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert (response.status_code, cors_headers(response), response.json()["error"]["code"]) == (
        405,
        {},
        "method_not_allowed",
    )


@pytest.mark.parametrize("path", ["", "/count", "/signatories"])
def test_api_read_sends_no_cors_headers(client: Client, letter: Letter, path: str) -> None:
    response = client.get(f"/api/v1/letters/{letter.slug}{path}", HTTP_ORIGIN=ELSEWHERE)

    assert (response.status_code, cors_headers(response)) == (200, {})
