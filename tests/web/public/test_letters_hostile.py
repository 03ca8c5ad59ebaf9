"""Nothing a client sends to the public pages or the letters API may produce a 500."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, quote_from_bytes

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.factories import make_addendum, make_letter

pytestmark = pytest.mark.django_db

HUGE = 300 * 1024  # above DATA_UPLOAD_MAX_MEMORY_SIZE (256 KB)

PUBLIC_PATHS = ["/", "/l/cancel/", "/l/cancel/addenda/1/summary.md"]
API_PATHS = ["/api/v1/letters/cancel", "/api/v1/letters/cancel/count"]


@pytest.fixture
def letter(db: None) -> None:
    letter = make_letter("cancel", arabic=True)
    make_addendum(letter)


def media_type(response: Any) -> str:
    return str(response["Content-Type"]).split(";")[0]


@pytest.mark.usefixtures("letter")
@pytest.mark.parametrize(
    "query",
    [
        "lang=\u202ear",
        "lang=ar\u2066",
        "lang=" + "a" * 20_000,
        "lang=%FF%FE",
        "lang=%00",
        "lang=ar&lang=en",
        "lang[]=ar",
        "lang",
        "%ZZ=%ZZ",
        "=&=&&",
        "lang=<script>alert(1)</script>",
    ],
)
def test_letter_page_weird_query_strings_fall_back_safely(client: Client, query: str) -> None:
    response = client.get(f"/l/cancel/?{quote(query, safe='=&%[]')}")
    html = response.content.decode()
    assert (response.status_code, re.findall(r"<html [^>]*>", html)) == (
        200,
        ['<html lang="en" dir="ltr">'],
    )
    assert re.findall(r"<script", html) == []


@pytest.mark.usefixtures("letter")
@pytest.mark.parametrize(
    "header", ["\u202ear", "ar;q=" + "9" * 5000, "ar," * 10_000, "\xff\xfe", "ar-" + "x" * 500]
)
def test_letter_page_weird_accept_language(client: Client, header: str) -> None:
    response = client.get("/l/cancel/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200


@pytest.mark.usefixtures("letter")
@pytest.mark.parametrize("path", PUBLIC_PATHS)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\xfd", "application/x-www-form-urlencoded"),
        (b"x=" + b"a" * HUGE, "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
        (b"--b\r\nbroken", "multipart/form-data; boundary=b"),
        (b"<xml/>", "application/xml"),
    ],
)
def test_public_pages_refuse_bodies_with_4xx(
    client: Client, path: str, body: bytes, content_type: str
) -> None:
    response = client.post(path, data=body, content_type=content_type)
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")


@pytest.mark.usefixtures("letter")
def test_public_page_huge_body_with_csrf_checks_gets_an_error_page() -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = "a" * 32
    response = browser.post(
        "/l/cancel/", data=b"x=" + b"a" * HUGE, content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, media_type(response)) == (400, "text/html")
    assert re.findall(r"<h1>(.*?)</h1>", response.content.decode()) == [
        "What you sent is too large. Please shorten it and try again."
    ]


@pytest.mark.usefixtures("letter")
@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"\xff\xfe\xfd", "application/json", 405),
        (b"{" + b" " * HUGE + b"}", "application/json", 413),
        (b"{not json", "application/json", 405),
        (b"[1, 2]", "application/json", 405),
        (b"a=1", "application/x-www-form-urlencoded", 405),
        (b"<xml/>", "application/xml", 405),
        (b"", "", 405),
    ],
)
def test_api_refuses_bodies_with_json_errors(
    client: Client, path: str, body: bytes, content_type: str, status: int
) -> None:
    response = client.post(path, data=body, content_type=content_type)
    assert (response.status_code, media_type(response)) == (status, "application/json")
    assert sorted(response.json()["error"]) == ["code", "message"]


@pytest.mark.usefixtures("letter")
@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_api_other_methods_are_json_4xx(client: Client, method: str) -> None:
    response = getattr(client, method)("/api/v1/letters/cancel")
    assert (response.status_code, media_type(response)) == (405, "application/json")


@pytest.mark.usefixtures("letter")
@pytest.mark.parametrize("query", ["lang=%FF", "x=" + "y" * 20_000, "%00=%00", "a=\u202e"])
def test_api_ignores_weird_query_strings(client: Client, query: str) -> None:
    assert client.get(f"/api/v1/letters/cancel?{quote(query, safe='=%')}").status_code == 200


SEGMENT = st.one_of(
    st.text(max_size=40).map(lambda text: quote(text, safe="")),
    st.binary(max_size=20).map(lambda raw: quote_from_bytes(raw, safe="")),
    st.sampled_from(["..", ".", "%2e%2e", "%2F", "%00", "%ZZ", "sign", "addenda", "1", "-1"]),
)
QUERY = st.one_of(
    st.just(""),
    st.text(max_size=60).map(lambda text: "?" + quote(text, safe="=&")),
    st.binary(max_size=30).map(lambda raw: "?lang=" + quote_from_bytes(raw, safe="")),
)
PREFIXES = st.sampled_from(
    [
        "/",
        "/l/",
        "/l/cancel/",
        "/l/cancel/addenda/",
        "/l/cancel/addenda/1/",
        "/api/v1/",
        "/api/v1/letters/",
        "/api/v1/letters/cancel/",
    ]
)


@pytest.mark.usefixtures("letter")
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(prefix=PREFIXES, segments=st.lists(SEGMENT, max_size=3), query=QUERY)
def test_fuzzed_public_urls_never_500(
    client: Client, prefix: str, segments: list[str], query: str
) -> None:
    response = client.get(prefix + "/".join(segments) + query)
    assert response.status_code < 500
    if prefix.startswith("/api/") and response.status_code >= 400:
        assert sorted(response.json()["error"]) == ["code", "message"]
