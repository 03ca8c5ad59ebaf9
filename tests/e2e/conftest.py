"""Real-browser fixtures: Playwright driving Debian's Chromium against the live test server."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

# Flags that keep Chromium from calling home on this closed network (and sandboxed as root in CI).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed; `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    # Any request to a host other than the live server would be a third-party asset: fail loudly.
    outside: list[str] = []
    context.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else None
        ),
    )
    opened = context.new_page()
    yield opened
    context.close()
    assert outside == [], f"pages requested outside resources: {outside}"


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    """The real worker loop in a thread, as `undersigned demo` runs it."""
    from undersigned.campaign.worker import run_worker

    stop = threading.Event()

    def run() -> None:
        try:
            run_worker(stop=stop, idle_sleep=0.1)
        finally:
            # The thread's own connection would outlive it and block dropping the test database.
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)
