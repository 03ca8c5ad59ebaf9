"""API request bodies are JSON only (StrictParser in web/api/__init__.py, docs/design.md 8a).

A cross-site page can make a browser send text/plain, form-encoded or multipart bodies without a
CORS preflight; every endpoint that takes a body refuses them with 415 before it runs. The
endpoints are read from the OpenAPI document, so a new one is covered the day it is added.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.support.factories import make_letter
from tests.support.openapi import body_operations, document, operation_id
from undersigned.common.wsgi import Request
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage
from undersigned.signing.models import Issuance, Signature, Verification

pytestmark = pytest.mark.django_db

REFUSED = {
    "error": {
        "code": "unsupported_media_type",
        "message": "This API accepts only JSON: send the request body with the header "
        "Content-Type: application/json.",
    }
}
# What a signer would send to start signing: accepted as JSON, so refusing it is the rule at work.
FIELDS = {"email": "ana@example.org", "tier": "counted"}


@pytest.fixture
def letter() -> Letter:
    return make_letter(domains=["example.org"])


def url(letter: Letter, path: str) -> str:
    filled = path.replace("{slug}", letter.slug)
    assert "{" not in filled
    return filled


def stored() -> tuple[int, int, int, int]:
    return (
        Verification.objects.count(),
        Signature.objects.count(),
        OutboxMessage.objects.count(),
        Issuance.objects.count(),
    )


def without_content_type(client: Client) -> Client:
    """A client whose requests carry no Content-Type at all (not even an empty one)."""
    handler = client.handler

    def send(environ: dict[str, Any]) -> HttpResponse:
        environ.pop("CONTENT_TYPE", None)
        return handler(environ)  # type: ignore[no-any-return]

    client.handler = send  # type: ignore[assignment]
    return client


Send = Callable[[Client, str, str], HttpResponse]
NOT_JSON: dict[str, Send] = {
    "text/plain": lambda client, method, path: client.generic(
        method, path, json.dumps(FIELDS), content_type="text/plain"
    ),
    "text/plain;charset=UTF-8": lambda client, method, path: client.generic(
        method, path, json.dumps(FIELDS), content_type="text/plain;charset=UTF-8"
    ),
    "form-encoded": lambda client, method, path: client.generic(
        method, path, urlencode(FIELDS), content_type="application/x-www-form-urlencoded"
    ),
    "multipart": lambda client, method, path: client.post(path, FIELDS),
    "empty Content-Type": lambda client, method, path: client.generic(
        method, path, json.dumps(FIELDS), content_type=""
    ),
    "no Content-Type": lambda client, method, path: without_content_type(client).generic(
        method, path, json.dumps(FIELDS)
    ),
}


def test_openapi_every_post_takes_a_body() -> None:
    posts = sorted(
        ("POST", path) for path, operations in document()["paths"].items() if "post" in operations
    )

    assert (len(posts) > 0, body_operations()) == (True, posts)


def test_openapi_request_bodies_are_json_only() -> None:
    # A Form or File parameter would be read by Django's form parsers, not StrictParser.
    media = {
        f"{method} {path}": sorted(operation["requestBody"]["content"])
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }

    assert media == {name: ["application/json"] for name in media}


@pytest.mark.parametrize("sent", list(NOT_JSON))
@pytest.mark.parametrize("operation", body_operations(), ids=operation_id)
def test_body_endpoint_not_json_is_415_and_stores_nothing(
    client: Client, letter: Letter, operation: tuple[str, str], sent: str
) -> None:
    method, path = operation

    response = NOT_JSON[sent](client, method, url(letter, path))

    assert (response.status_code, response["Content-Type"], response.json(), stored()) == (
        415,
        "application/json; charset=utf-8",
        REFUSED,
        (0, 0, 0, 0),
    )


@pytest.mark.parametrize("operation", body_operations(), ids=operation_id)
def test_body_endpoint_bodiless_request_is_not_refused_for_its_media_type(
    client: Client, letter: Letter, operation: tuple[str, str]
) -> None:
    method, path = operation

    response = client.generic(method, url(letter, path), b"", content_type="text/plain")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "APPLICATION/JSON",
        " application/json\t; charset=utf-8",
    ],
)
def test_signing_start_json_media_type_with_parameters_accepted(
    client: Client, letter: Letter, content_type: str
) -> None:
    response = client.post(
        f"/api/v1/letters/{letter.slug}/signatures", json.dumps(FIELDS), content_type=content_type
    )

    assert (response.status_code, Verification.objects.count()) == (202, 1)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", ["", "/count"])
def test_get_and_head_body_with_any_media_type_unaffected(
    client: Client, letter: Letter, method: str, path: str
) -> None:
    plain = client.generic(method, f"/api/v1/letters/{letter.slug}{path}")

    with_body = client.generic(
        method, f"/api/v1/letters/{letter.slug}{path}", b"x=1", content_type="text/plain"
    )

    assert (with_body.status_code, with_body.content) == (plain.status_code, plain.content)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"\xff", "invalid_utf8", "The request body is not valid UTF-8."),
        (b"{", "invalid_json", "The request body is not valid JSON."),
        (b"[]", "invalid_json", "The request body must be a JSON object."),
    ],
)
def test_json_body_parser_refusal_keeps_its_own_code(
    client: Client, letter: Letter, body: bytes, code: str, message: str
) -> None:
    response = client.post(
        f"/api/v1/letters/{letter.slug}/signatures", body, content_type="application/json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"error": {"code": code, "message": message}},
    )


# Header values as a server hands them over: any Latin-1 text but a line break.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0, max_codepoint=0xFF, exclude_characters="\r\n"), max_size=60
)
MEDIA_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/json-seq",
    "application/jsonp",
    "application/ld+json",
    "text/json",
    "application/*",
    "*/*",
    "json",
    "",
]
PARAMETERS = [
    "charset=utf-8",
    'charset="UTF-8"',
    "charset=utf-16",
    "charset=nope",
    "charset*=nope''x",
    "a*=utf-8''%ff",
    "charset=\x00",
    "boundary=x",
    'x="unterminated',
    "application/json",
    "=",
    "",
]


def _mixed_case(value: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(value), max_size=len(value))
    return flips.map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(value, upper, strict=True))
    )


STRUCTURED = st.builds(
    lambda before, media, after, parameters: before + media + after + "".join(parameters),
    st.sampled_from(["", " ", "\t", " \t "]),
    st.sampled_from(MEDIA_TYPES).flatmap(_mixed_case),
    st.sampled_from(["", " ", "\t"]),
    st.lists(
        st.one_of(st.sampled_from(PARAMETERS), HEADER_TEXT).map(lambda p: f";{p}"), max_size=3
    ),
)
# The rule, written independently of the code: the media type is what precedes the first ";",
# give or take spaces and tabs, compared without regard to (ASCII) case.
IS_JSON = re.compile(r"[ \t]*application/json[ \t]*(;.*)?", re.IGNORECASE | re.ASCII | re.DOTALL)


@pytest.fixture
def production_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test client builds Django's own request; the server builds ours (undersigned.wsgi)."""
    monkeypatch.setattr("django.test.client.WSGIRequest", Request)


@hsettings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content_type=st.one_of(HEADER_TEXT, STRUCTURED))
def test_any_content_type_is_415_unless_json_and_never_500(
    production_request: None, letter: Letter, content_type: str
) -> None:
    # {} is JSON the confirm endpoint refuses (no email, no code) before it runs.
    response = Client().post(
        f"/api/v1/letters/{letter.slug}/signatures/confirm", b"{}", content_type=content_type
    )

    if IS_JSON.fullmatch(content_type):
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input")
    else:
        assert (response.status_code, response.json()) == (415, REFUSED)
    assert stored() == (0, 0, 0, 0)
