from __future__ import annotations

import pytest
from playwright.sync_api import Page


@pytest.mark.e2e
def test_home_page_renders_in_browser(live_server: object, page: Page) -> None:
    page.goto(f"{live_server}/")
    assert page.locator("h1").inner_text() == "undersigned"
