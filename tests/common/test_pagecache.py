from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.cache import cache

from undersigned.common.pagecache import cached, letter_changed

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
