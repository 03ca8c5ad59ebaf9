"""Rate limits and counters in the shared cache, keyed by a hash of the client address.

The address itself never reaches the database or the logs; in the cache it is only a keyed hash
that expires with the window.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _digest(subject: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).hexdigest()[:32]


def _bucket(name: str, subject: str, window: int) -> str:
    return f"rl:{name}:{_digest(subject)}:{int(time.time()) // window}"


def _add(key: str, delta: int, timeout: int) -> int:
    """Add to a cache counter, creating it; the counter's new value."""
    if cache.add(key, delta, timeout=timeout):
        return delta
    try:
        return int(cache.incr(key, delta))
    except ValueError:
        # The key expired between add and incr: this starts it again.
        cache.add(key, delta, timeout=timeout)
        return delta


def hit(name: str, subject: str) -> bool:
    """Count one request; True while within the limit named in settings.RATE_LIMITS."""
    limit, window = settings.RATE_LIMITS[name]
    return _add(_bucket(name, subject, window), 1, timeout=window + 5) <= limit


def client_of(request: HttpRequest) -> str:
    return str(getattr(request, "client_address", "unknown"))


def hit_client(name: str, request: HttpRequest) -> bool:
    return hit(name, client_of(request))


def retry_after(name: str) -> int:
    """Seconds until the fixed window of a limit in settings.RATE_LIMITS starts over."""
    window = int(settings.RATE_LIMITS[name][1])
    return window - int(time.time()) % window


# Sliding windows, estimated from two fixed ones: the current window's count plus the previous
# one's, weighted by how much of it still lies within `window` seconds of now. One cache key per
# subject and window, so counting costs an increment and reading costs one get_many: no scans.
def _slide_keys(name: str, subject: str, window: int) -> tuple[str, str, float]:
    now = time.time()
    index = int(now) // window
    prefix = f"sw:{name}:{_digest(subject)}"
    return f"{prefix}:{index}", f"{prefix}:{index - 1}", 1 - (now % window) / window


def slide_add(name: str, subject: str, delta: int, *, window: int) -> float:
    """Add `delta` to the subject's count (never below zero now); the estimate after it."""
    current, previous, weight = _slide_keys(name, subject, window)
    count = _add(current, delta, timeout=2 * window + 5)
    if count < 0:
        # More taken back than counted in this window: what the previous one holds stays.
        count = _add(current, -count, timeout=2 * window + 5)
    earlier = cache.get(previous) or 0
    return max(0, count) + max(0, int(earlier)) * weight


def slide_count(name: str, subject: str, *, window: int) -> float:
    current, previous, weight = _slide_keys(name, subject, window)
    found = cache.get_many([current, previous])
    return max(0, int(found.get(current, 0))) + max(0, int(found.get(previous, 0))) * weight


# Failures per subject (an account), not requests per address: an attacker spread over many
# addresses still spends one account's budget. The lock is its own key so that it lasts a whole
# window after the failure that set it, whenever in a fixed window that failure fell.
def _failure_keys(name: str, subject: str) -> tuple[str, str]:
    digest = _digest(subject)
    return f"rl-fail:{name}:{digest}", f"rl-lock:{name}:{digest}"


def record_failure(name: str, subject: str) -> None:
    """Count one failure; at the limit in settings.RATE_LIMITS, lock the subject for the window."""
    limit, window = settings.RATE_LIMITS[name]
    count_key, lock_key = _failure_keys(name, subject)
    if _add(count_key, 1, timeout=window) >= limit:
        cache.set(lock_key, 1, timeout=window)


def is_locked(name: str, subject: str) -> bool:
    return cache.get(_failure_keys(name, subject)[1]) is not None


def clear_failures(name: str, subject: str) -> None:
    """After a complete sign-in: earlier mistakes of the owner no longer count."""
    cache.delete_many(list(_failure_keys(name, subject)))
