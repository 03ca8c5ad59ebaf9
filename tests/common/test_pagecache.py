from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.cache import cache

from undersigned.common.pagecache import _letter_key, cached, letter_changed

pytestmark = pytest.mark.django_db


def test_cached_value_is_kept_until_the_letter_changes() -> None:
    assert cached(slug="press", part="p", compute=lambda: "first") == "first"
    assert cached(slug="press", part="p", compute=lambda: "second") == "first"
    letter_changed(slug="press")
    assert cached(slug="press", part="p", compute=lambda: "third") == "third"


def test_value_cached_before_the_change_commits_is_stale_after_it(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        letter_changed(slug="press")
        # A reader in another transaction still sees the old rows, under the new generation.
        cached(slug="press", part="p", compute=lambda: "old rows")
    assert cached(slug="press", part="p", compute=lambda: "new rows") == "new rows"


def test_failed_computation_for_an_unknown_slug_leaves_no_key() -> None:
    def missing() -> str:
        raise LookupError

    with pytest.raises(LookupError):
        cached(slug="no-such-letter" * 100, part="p", compute=missing)
    assert list(getattr(cache, "_cache", {})) == []


def test_change_made_by_another_process_shows_within_a_second() -> None:
    assert cached(slug="press", part="p", compute=lambda: "first") == "first"
    # What another process's letter_changed leaves in the shared cache: a new generation only.
    cache.set(f"{_letter_key('press')}:gen", "0ther0process", timeout=None)
    assert cached(slug="press", part="p", compute=lambda: "second") == "first"
    time.sleep(1.05)
    assert cached(slug="press", part="p", compute=lambda: "third") == "third"
