"""The public HTTP API (docs/design.md section 8): one NinjaAPI with a router per app.

Every error leaves as {"error": {"code": ..., "message": ...}} with a 4xx status.

Request bodies are JSON and nothing else. A page on another site can make its visitors' browsers
send a text/plain, form-encoded or multipart POST here without asking first; a JSON one needs a
CORS preflight, which this API never grants (docs/design.md section 8a). So StrictParser, which
ninja calls for every non-empty body of an endpoint that takes one, refuses any other media type
with 415 before the endpoint runs: nothing is stored and no rate limit is spent.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.parser import Parser

from undersigned.common.errors import ApiError, ServiceError, error_body
from undersigned.common.wsgi import media_type
from undersigned.signing.errors import SigningError

JSON = "application/json"


class StrictParser(Parser):
    """Bodies must be sent as application/json (any parameters, any case: 415 otherwise) and be
    valid UTF-8 JSON objects (400 otherwise)."""

    def parse_body(self, request: HttpRequest) -> Any:
        if media_type(request.META.get("CONTENT_TYPE", "")) != JSON:
            raise ApiError(
                415,
                "unsupported_media_type",
                "This API accepts only JSON: send the request body with the header "
                "Content-Type: application/json.",
            )
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(400, "invalid_utf8", "The request body is not valid UTF-8.") from exc
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError as exc:
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
        return data


# Operation ids are part of the published API (generated clients name their methods after them).
# They were derived from the routers' first modules; the routers moved into the web layer, and
# the ids stay what they were.
_PUBLISHED_MODULES = {
    "undersigned.web.api.letters": "undersigned.letters.api",
    "undersigned.web.api.signing": "undersigned.signing.api",
    "undersigned.web.api.anonymous": "undersigned.signing.api_anonymous",
    "undersigned.web.api.log": "undersigned.publiclog.api",
}


class StableIdsApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        function = operation.view_func
        module = _PUBLISHED_MODULES.get(function.__module__, function.__module__)
        return f"{module}_{function.__name__}".replace(".", "_")


api = StableIdsApi(
    title="undersigned API",
    version="1",
    description="Open letters with verified signatures and a public log.",
    urls_namespace="api",
    docs_url=None,
    parser=StrictParser(),
)


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(request, error_body(code, message), status=status)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    if not isinstance(exc, SigningError):
        return error_response(request, exc.status, exc.code, exc.message)
    # A signing refusal may say when to try again, and carry a challenge to solve.
    body = {**error_body(exc.code, exc.message), **exc.extra()}
    response = api.create_response(request, body, status=exc.status)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors[:10]:
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "body"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(request, 422, "invalid_input", "; ".join(problems) or "Invalid input.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja turns whatever the body parser raises into a 400 "Cannot parse request body", the
    # parser's refusal kept as the cause. Ours say what was wrong, with their own status.
    if isinstance(exc.__cause__, ServiceError):
        return _service_error(request, exc.__cause__)
    return error_response(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthorized", "Authentication required.")


def _register_routers() -> None:
    from undersigned.web.api.anonymous import router as anonymous_router
    from undersigned.web.api.letters import router as letters_router
    from undersigned.web.api.log import router as publiclog_router
    from undersigned.web.api.signing import router as signing_router

    api.add_router("/letters/", letters_router)
    api.add_router("/letters/", signing_router)
    api.add_router("/letters/", anonymous_router)
    api.add_router("/letters/", publiclog_router)


_register_routers()
