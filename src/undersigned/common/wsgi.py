"""Django's WSGI handler, with a request that survives any Content-Type header.

Django 5.2 parses the Content-Type header while it builds the request, before any middleware
runs, and raises ValueError on two kinds of value: an RFC 2231 parameter naming an unknown
charset (`text/plain; a*=nope''x`) and a charset the codec registry cannot even look up (one
with a NUL). Raised there, the error escapes every handler and the server answers 500 on any URL.
This request keeps the media type, drops the parameters it cannot read, and writes the header
back as the bare media type so that Django's form parsers, which read it again, do not trip
over it either. Every other value is parsed exactly as Django parses it.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest


def media_type(content_type: str) -> str:
    """The media type of a Content-Type value (RFC 9110 section 8.3.1): what comes before the
    first `;`, without surrounding spaces or tabs, in lower case. `Application/JSON; charset=x`
    gives `application/json`; an empty or missing header gives ``""``."""
    return content_type.split(";", 1)[0].strip(" \t").lower()


class Request(WSGIRequest):
    def _set_content_type_params(self, meta: dict[str, Any]) -> None:
        try:
            super()._set_content_type_params(meta)  # type: ignore[misc]  # not in the stubs
        except ValueError:
            self.content_type = media_type(str(meta.get("CONTENT_TYPE", "")))
            self.content_params = {}
            meta["CONTENT_TYPE"] = self.content_type


class Handler(WSGIHandler):
    request_class = Request
