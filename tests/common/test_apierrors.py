from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.test import Client, RequestFactory

from undersigned.common.apierrors import ApiErrorMiddleware


def through(response: HttpResponse, path: str = "/api/v1/x") -> HttpResponse:
    middleware = ApiErrorMiddleware(lambda request: response)
    return middleware(RequestFactory().get(path))  # type: ignore[return-value]


def error_of(response: HttpResponse) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def test_plain_405_rewritten_with_allow_header_kept() -> None:
    response = through(HttpResponseNotAllowed(["GET"], content=b"Method not allowed"))
    assert (response.status_code, response["Allow"]) == (405, "GET")
    assert error_of(response) == {
        "error": {
            "code": "method_not_allowed",
            "message": "This method is not allowed here. Allowed: GET.",
        }
    }


def test_other_json_error_shape_rewritten() -> None:
    response = through(JsonResponse({"detail": "Not Found"}, status=404))
    assert error_of(response) == {"error": {"code": "not_found", "message": "Not Found."}}


def test_error_in_our_format_passes_unchanged() -> None:
    original = JsonResponse({"error": {"code": "invalid_email", "message": "Bad."}}, status=422)
    assert through(original) is original


def test_success_passes_unchanged() -> None:
    original = HttpResponse("fine", content_type="text/plain")
    assert through(original) is original


def test_html_paths_are_left_alone() -> None:
    original = HttpResponseNotAllowed(["GET"])
    assert through(original, path="/l/letter/") is original


def test_unusual_status_gets_generic_code() -> None:
    response = through(HttpResponse("teapot", status=418))
    assert error_of(response) == {"error": {"code": "client_error", "message": "I'm a Teapot."}}


def test_request_data_too_big_from_a_view_is_413() -> None:
    middleware = ApiErrorMiddleware(lambda request: HttpResponse())
    request = RequestFactory().post("/api/v1/letters/x/signatures")
    response = middleware.process_exception(request, RequestDataTooBig("too big"))
    assert response is not None
    assert (response.status_code, error_of(response)) == (
        413,
        {
            "error": {
                "code": "too_large",
                "message": "The request body is too large (the limit is 256 KB).",
            }
        },
    )


def test_other_exceptions_are_not_swallowed() -> None:
    middleware = ApiErrorMiddleware(lambda request: HttpResponse())
    request: HttpRequest = RequestFactory().get("/api/v1/x")
    assert middleware.process_exception(request, ValueError("bug")) is None


@pytest.mark.django_db
def test_oversized_api_body_refused_before_reading(client: Client, settings: Any) -> None:
    body = b"{" + b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b"}"
    response = client.post("/api/v1/letters/x", data=body, content_type="application/json")
    assert (response.status_code, error_of(response)["error"]["code"]) == (413, "too_large")


@pytest.mark.django_db
@pytest.mark.parametrize("length", ["abc", "-5", "1e9", "١٢"])
def test_malformed_content_length_is_400(client: Client, length: str) -> None:
    response = client.post(
        "/api/v1/letters/x", data=b"{}", content_type="application/json", CONTENT_LENGTH=length
    )
    assert (response.status_code, error_of(response)) == (
        400,
        {"error": {"code": "bad_request", "message": "The Content-Length header is not a number."}},
    )
