"""Fixtures shared by the whole suite: real SMTP, real browser, a worker, database searches."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from tests.support.smtp import SmtpSink
from undersigned.common.pagecache import forget_held

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run under
# a running loop unless told it is safe. It is: tests are single-threaded per connection.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(trylast=True)  # after `-m "not postgres"` has deselected what it will
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    in_ci = os.environ.get("CI") == "true"
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            if in_ci:
                raise pytest.UsageError("CI must run PostgreSQL tests: DATABASE_URL is not set")
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL pointing to PostgreSQL"))


@pytest.fixture(autouse=True)
def _outbox_backend(settings: object) -> None:
    """Django's test setup swaps in its in-memory mail backend; we test the real outbox instead."""
    settings.EMAIL_BACKEND = "undersigned.mail.backends.OutboxBackend"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    forget_held()
    yield
    cache.clear()
    forget_held()


@pytest.fixture
def smtp(settings: object) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; the outbox worker delivers to it."""
    with SmtpSink() as sink:
        settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
        settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
        settings.EMAIL_PORT = sink.port  # type: ignore[attr-defined]
        settings.EMAIL_USE_TLS = False  # type: ignore[attr-defined]
        settings.EMAIL_USE_SSL = False  # type: ignore[attr-defined]
        yield sink
