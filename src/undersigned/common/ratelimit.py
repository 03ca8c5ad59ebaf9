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
