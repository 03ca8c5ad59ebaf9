"""The WSGI application that gunicorn and waitress serve."""

from __future__ import annotations

import io

import pytest

from undersigned.common.wsgi import Handler, Request


def test_application_builds_the_tolerant_request() -> None:
    from undersigned.wsgi import application

    assert (type(application), application.request_class) == (Handler, Request)


# /healthz asks the database whether it answers.
@pytest.mark.django_db
def test_application_answers_unreadable_content_type() -> None:
    from undersigned.wsgi import application

    started: list[str] = []
    request = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "text/plain; a*=nope''x",
    }

    body = b"".join(application(request, lambda status, headers: started.append(status)))

    assert (started, body) == (["200 OK"], b"ok")
