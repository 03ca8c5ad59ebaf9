"""Steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.support.factories import PASSWORD


def log_in(page: Page, base: str, email: str) -> None:
    """Log an organizer made by the factories in, through the login page."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/manage/")
