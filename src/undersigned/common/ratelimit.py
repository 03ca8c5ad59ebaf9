"""Fixed-window rate limits in the shared cache, keyed by a hash of the client address.

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


def _bucket(name: str, subject: str, window: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).hexdigest()
    return f"rl:{name}:{digest[:32]}:{int(time.time()) // window}"


def hit(name: str, subject: str) -> bool:
    """Count one request; True while within the limit named in settings.RATE_LIMITS."""
    limit, window = settings.RATE_LIMITS[name]
    key = _bucket(name, subject, window)
    if cache.add(key, 1, timeout=window + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this request starts a new window.
        cache.add(key, 1, timeout=window + 5)
        return True
    return count <= limit


def hit_client(name: str, request: HttpRequest) -> bool:
    return hit(name, getattr(request, "client_address", "unknown"))


# Failures per subject (an account), not requests per address: an attacker spread over many
# addresses still spends one account's budget. The lock is its own key so that it lasts a whole
# window after the failure that set it, whenever in a fixed window that failure fell.
def _failure_keys(name: str, subject: str) -> tuple[str, str]:
    digest = hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).hexdigest()
    return f"rl-fail:{name}:{digest[:32]}", f"rl-lock:{name}:{digest[:32]}"


def record_failure(name: str, subject: str) -> None:
    """Count one failure; at the limit in settings.RATE_LIMITS, lock the subject for the window."""
    limit, window = settings.RATE_LIMITS[name]
    count_key, lock_key = _failure_keys(name, subject)
    if cache.add(count_key, 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(count_key)
        except ValueError:
            cache.add(count_key, 1, timeout=window)
            count = 1
    if count >= limit:
        cache.set(lock_key, 1, timeout=window)


def is_locked(name: str, subject: str) -> bool:
    return cache.get(_failure_keys(name, subject)[1]) is not None


def clear_failures(name: str, subject: str) -> None:
    """After a complete sign-in: earlier mistakes of the owner no longer count."""
    cache.delete_many(list(_failure_keys(name, subject)))
