"""`undersigned demo` as a newcomer runs it: a real process, a real browser, the printed login."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.support.processes import UNDERSIGNED, free_port


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str, str, Path]]:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
        and not key.startswith(("EMAIL_", "ALLOWED_", "SITE_"))
    }
    env["UNDERSIGNED_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [UNDERSIGNED, "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while "Stop with Ctrl-C" not in output and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output += line
    login = re.search(r"Login:\s+(\S+) / (\S+)", output)
    mail = re.search(r"Emails:\s+(\S+)", output)
    try:
        assert login is not None, output
        assert mail is not None, output
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        yield base, login.group(1), login.group(2), Path(mail.group(1))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _wait_for(base: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 -- our own loopback server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the demo server did not answer")


@pytest.mark.e2e
def test_demo_serves_letter_in_english_and_arabic_and_login_works(
    demo: tuple[str, str, str, Path], page: Page
) -> None:
    base, email, password, mail_dir = demo

    page.goto(f"{base}/l/demo/")
    assert page.locator("h1").first.inner_text() == "Stop selling our work to the agency"
    assert page.locator("html").get_attribute("dir") == "ltr"

    page.goto(f"{base}/l/demo/?lang=ar")
    assert page.locator("h1").first.inner_text() == "أوقفوا بيع عملنا للجهة"
    assert (
        page.locator("html").get_attribute("dir"),
        page.locator("html").get_attribute("lang"),
    ) == (
        "rtl",
        "ar",
    )

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/manage/")
    assert page.get_by_role("link", name="Stop selling our work to the agency").count() == 1
    assert mail_dir.is_dir()
