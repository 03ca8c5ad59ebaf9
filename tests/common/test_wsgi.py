"""The request of common/wsgi.py: Django's, except that no Content-Type header breaks it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIRequest

from undersigned.common.wsgi import Request, media_type

UNKNOWN_RFC2231_CHARSET = "text/plain; a*=nope''x"
NUL_IN_CHARSET = "application/json; charset=utf-8\x00"


def environ(content_type: str, body: bytes = b"{}") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/letters/x/signatures",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
    }


@pytest.mark.parametrize(
    ("value", "error"),
    [(UNKNOWN_RFC2231_CHARSET, "Invalid encoding 'nope'"), (NUL_IN_CHARSET, "null character")],
)
def test_django_request_raises_on_unreadable_content_type(value: str, error: str) -> None:
    # Why Request exists. When Django stops raising here, Request can go.
    with pytest.raises(ValueError, match=error):
        WSGIRequest(environ(value))


def test_request_unknown_rfc2231_charset_keeps_media_type() -> None:
    request = Request(environ(UNKNOWN_RFC2231_CHARSET))

    assert (request.content_type, request.content_params, request.META["CONTENT_TYPE"]) == (
        "text/plain",
        {},
        "text/plain",
    )


def test_request_nul_in_charset_keeps_media_type() -> None:
    request = Request(environ(NUL_IN_CHARSET))

    assert (request.content_type, request.content_params, request.META["CONTENT_TYPE"]) == (
        "application/json",
        {},
        "application/json",
    )


@pytest.mark.parametrize(
    "value",
    ["application/json; charset=UTF-8", 'multipart/form-data; boundary="x;y"', "text/plain", ""],
)
def test_request_readable_content_type_parsed_as_django_parses_it(value: str) -> None:
    ours, django = Request(environ(value)), WSGIRequest(environ(value))

    assert (ours.content_type, ours.content_params, ours.encoding, ours.META["CONTENT_TYPE"]) == (
        django.content_type,
        django.content_params,
        django.encoding,
        value,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/json", "application/json"),
        ("Application/JSON; charset=utf-8", "application/json"),
        (" \tapplication/json\t ;x=1", "application/json"),
        ("text/plain;application/json", "text/plain"),
        ("application/json=x; y", "application/json=x"),
        ("", ""),
    ],
)
def test_media_type_is_the_part_before_parameters(value: str, expected: str) -> None:
    assert media_type(value) == expected
