"""Error pages: plain, friendly, and JSON for the API so clients never parse HTML."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from undersigned.common.errors import error_body

_MESSAGES = {
    400: ("bad_request", "The request could not be understood."),
    403: ("forbidden", "You do not have access to this page."),
    404: ("not_found", "There is nothing here."),
    500: ("server_error", "Something went wrong on our side. Please try again later."),
}
# Django refuses oversized bodies with a 400 before any view runs; say why.
_TOO_LARGE = ("too_large", "What you sent is too large. Please shorten it and try again.")
_TOO_LARGE_ERRORS = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def _respond(
    request: HttpRequest, status: int, reason: tuple[str, str] | None = None
) -> HttpResponse:
    code, message = reason or _MESSAGES[status]
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message), status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400, _TOO_LARGE if isinstance(exception, _TOO_LARGE_ERRORS) else None)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _respond(request, 500)
