"""The one error hierarchy: every service refusal is a ServiceError with a status, a stable
machine code and a sentence for people, and every JSON error body is built by error_body.

Views turn a ServiceError into a page, the API into {"error": {"code", "message"}}, so both say
the same thing. Each kind is a subclass raised as a fresh instance (a shared instance would carry
tracebacks across threads). Refusals tied to a form field stay Django ValidationErrors, keyed by
the field, because forms show them beside it.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "invalid"
    message = "This request could not be completed."

    def __init__(
        self, status: int | None = None, code: str | None = None, message: str = ""
    ) -> None:
        super().__init__(message or self.message)
        self.status = status or self.status
        self.code = code or self.code
        self.message = message or self.message


class ApiError(ServiceError):
    """A refusal by the API layer itself: a body it cannot parse, an address with nothing."""


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The JSON body of every API error, whichever layer refuses."""
    return {"error": {"code": code, "message": message}}
