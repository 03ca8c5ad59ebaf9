"""Every API error leaves in one format, whichever layer produced it.

Ninja answers a wrong method with a plain-text 405 and an unhandled 404 with {"detail": ...};
Django raises RequestDataTooBig from deep inside request parsing. Clients of the API must be able
to rely on {"error": {"code", "message"}} with a 4xx status (docs/design.md section 8a), so this
middleware rewrites anything else on the way out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from undersigned.common.errors import error_body

_API_PREFIX = "/api/"
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        error_body(code, message),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _too_large() -> JsonResponse:
    limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return api_error(
        413, "too_large", f"The request body is too large (the limit is {limit_kb} KB)."
    )


def _declared_length(request: HttpRequest) -> int | None:
    """The Content-Length header as a number, or None if it is not one."""
    value = request.META.get("CONTENT_LENGTH") or "0"
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        return None
    return int(value)


def _in_our_format(response: HttpResponseBase) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    if not isinstance(response, HttpResponse):
        return False
    try:
        data = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("error"), dict)


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(_API_PREFIX):
            return self.get_response(request)
        length = _declared_length(request)
        if length is None:
            # Django would fail on it with a 500 when the body is read.
            return api_error(400, "bad_request", "The Content-Length header is not a number.")
        # API bodies are small JSON documents: refuse an oversized one before anything reads it.
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _too_large()
        response = self.get_response(request)
        if 400 <= response.status_code < 500 and not _in_our_format(response):
            return self._rewrite(response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(_API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return _too_large()
        return None

    @staticmethod
    def _rewrite(response: HttpResponseBase) -> JsonResponse:
        status = response.status_code
        code = _CODES.get(status, "client_error")
        try:
            message = f"{HTTPStatus(status).phrase}."
        except ValueError:
            message = "The request was not accepted."
        if status == 405:
            message = f"This method is not allowed here. Allowed: {response.get('Allow', 'GET')}."
        rewritten = api_error(status, code, message)
        for header in ("Allow", "Retry-After", "Vary"):
            if header in response:
                rewritten[header] = response[header]
        return rewritten
