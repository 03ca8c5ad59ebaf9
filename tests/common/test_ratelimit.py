from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.test import RequestFactory

from tests.support.threads import in_threads
from undersigned.common import ratelimit

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def limits(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "test": (3, 60)}


@pytest.mark.usefixtures("limits")
def test_hit_allows_up_to_the_limit_then_refuses() -> None:
    assert [ratelimit.hit("test", "203.0.113.9") for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.usefixtures("limits")
def test_hit_subjects_are_counted_separately() -> None:
    for _ in range(3):
        ratelimit.hit("test", "203.0.113.9")
    assert (ratelimit.hit("test", "203.0.113.9"), ratelimit.hit("test", "198.51.100.1")) == (
        False,
        True,
    )


@pytest.mark.usefixtures("limits")
def test_hit_new_window_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    results = [ratelimit.hit("test", "203.0.113.9") for _ in range(4)]
    now[0] += 60
    results.append(ratelimit.hit("test", "203.0.113.9"))
    assert results == [True, True, True, False, True]


def test_bucket_never_contains_the_address() -> None:
    key = ratelimit._bucket("test", "203.0.113.9", 60)
    assert (key.startswith("rl:test:"), key.count("203.0.113.9")) == (True, 0)


@pytest.mark.usefixtures("limits")
def test_hit_client_uses_the_client_address() -> None:
    request = RequestFactory().get("/")
    request.client_address = "203.0.113.9"  # type: ignore[attr-defined]
    for _ in range(3):
        ratelimit.hit_client("test", request)
    assert (ratelimit.hit_client("test", request), ratelimit.hit("test", "203.0.113.9")) == (
        False,
        False,
    )


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[None]:
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"CI must test the rate limit against Redis, but {REDIS_URL} is unreachable"
            )
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    # A prefix of our own: other test runs may share this Redis database.
    prefix = f"test-{uuid.uuid4().hex}"
    local = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "test": (20, 60)}
    yield
    # Remove only our keys, and hand back the local cache before the suite-wide cache.clear(),
    # which on Redis would empty the whole database under other runs' feet.
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    settings.CACHES = local


@pytest.mark.usefixtures("redis_cache")
def test_hit_against_redis_concurrent_requests_never_exceed_the_limit() -> None:
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(50)

    def one() -> None:
        start.wait()
        allowed = ratelimit.hit("test", "203.0.113.9")
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (results.count(True), results.count(False)) == (20, 30)


@pytest.mark.usefixtures("redis_cache")
def test_hit_against_redis_key_expires_with_the_window() -> None:
    from django.core.cache import cache

    ratelimit.hit("test", "203.0.113.9")
    key = ratelimit._bucket("test", "203.0.113.9", 60)
    client = redis.Redis.from_url(REDIS_URL)
    ttl = client.ttl(cache.make_and_validate_key(key))
    assert 0 < ttl <= 65


@pytest.mark.usefixtures("limits")
def test_record_failure_locks_at_the_limit() -> None:
    states = []
    for _ in range(3):
        states.append(ratelimit.is_locked("test", "ana@organizers.test"))
        ratelimit.record_failure("test", "ana@organizers.test")
    states.append(ratelimit.is_locked("test", "ana@organizers.test"))

    assert states == [False, False, False, True]
    assert ratelimit.is_locked("test", "bo@organizers.test") is False


@pytest.mark.usefixtures("limits")
def test_record_failure_lock_ends_after_its_window(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "test": (2, 1)}
    for _ in range(2):
        ratelimit.record_failure("test", "ana@organizers.test")
    assert ratelimit.is_locked("test", "ana@organizers.test") is True

    time.sleep(1.1)

    assert ratelimit.is_locked("test", "ana@organizers.test") is False


@pytest.mark.usefixtures("limits")
def test_clear_failures_lifts_lock_and_count() -> None:
    for _ in range(3):
        ratelimit.record_failure("test", "ana@organizers.test")

    ratelimit.clear_failures("test", "ana@organizers.test")
    ratelimit.record_failure("test", "ana@organizers.test")

    assert ratelimit.is_locked("test", "ana@organizers.test") is False


def test_failure_keys_never_contain_the_subject() -> None:
    keys = ratelimit._failure_keys("test", "ana@organizers.test")
    assert [key.count("ana") for key in keys] == [0, 0]


@pytest.mark.usefixtures("redis_cache")
def test_record_failure_against_redis_concurrent_failures_all_counted() -> None:
    def one(_index: int) -> str:
        ratelimit.record_failure("test", "ana@organizers.test")
        return "counted"

    outcomes = in_threads(19, one)
    locked_before = ratelimit.is_locked("test", "ana@organizers.test")
    ratelimit.record_failure("test", "ana@organizers.test")

    assert (outcomes["counted"], locked_before) == (19, False)
    assert ratelimit.is_locked("test", "ana@organizers.test") is True
