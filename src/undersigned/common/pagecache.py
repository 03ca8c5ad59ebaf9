"""Public answers about a letter, served from Django's cache until the letter changes.

Each letter has a generation: a random token in the cache, keyed by a digest of its slug.
Every cached answer about the letter (its page in each language, the API's letter and count,
the log's checkpoint) is stored under a key holding the generation, so `letter_changed` makes
all of them stale at once, in every web process that shares the cache (Redis, REDIS_URL). The
writers call it: the row lock every organizer change takes (letters/locks.py), the state
write, the sequencer and witness cosignatures when the checkpoint changes. Entries also expire
after one sequencer interval, which bounds what changes without a writer: the signatures
waiting for the next checkpoint, and a per-process memory cache that no other process can
invalidate. Each process also keeps the entries and generations it used last (`_held`,
`_generations`; a generation for one second), so that a hit costs no round trip to Redis.

Cached answers are public: the same bytes for every reader, with an ETag (a hash of the body)
for 304 answers, `Cache-Control: public` and no dependence on cookies, so a reverse proxy or
CDN may keep them too (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

T = TypeVar("T")

_PREFIX = "undersigned:page"
# Headers of the rendered answer that the cached copy keeps.
_KEPT = (
    "Content-Type",
    "Content-Language",
    "Access-Control-Allow-Origin",
    "X-Content-Type-Options",
)


def _letter_key(slug: str) -> str:
    # A slug in a URL may be any length before it is found missing; its digest fits any cache.
    return f"{_PREFIX}:{hashlib.sha256(slug.encode()).hexdigest()[:32]}"


def _generation_key(slug: str) -> str:
    return f"{_letter_key(slug)}:gen"


class _Held:
    """A small map in this process's memory, the oldest entry dropped when it is full."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[str, float, Any]] = {}

    def get(self, key: str) -> tuple[str, float, Any] | None:
        return self.entries.get(key)

    def put(self, key: str, generation: str, until: float, value: Any = None) -> None:
        with self.lock:
            self.entries.pop(key, None)
            if len(self.entries) >= self.size:
                del self.entries[next(iter(self.entries))]
            self.entries[key] = (generation, until, value)


# This process's copies of shared entries, so that a hit neither fetches nor unpickles the
# answer, and of the generations it read, trusted for _TRUST seconds: a hit then costs no round
# trip to Redis. Another process's change shows here within _TRUST (proxies may keep a page for
# longer: its max-age); this process's own changes show at once.
_held = _Held(size=256)
_generations = _Held(size=1024)
_TRUST = 1.0


def forget_held() -> None:
    """Drop this process's copies, as when the shared cache is emptied (the tests do both)."""
    for held in (_held, _generations):
        with held.lock:
            held.entries.clear()


def _bump(slug: str) -> None:
    generation = secrets.token_hex(8)
    cache.set(_generation_key(slug), generation, timeout=None)
    _generations.put(_generation_key(slug), generation, time.monotonic() + _TRUST)


def letter_changed(*, slug: str) -> None:
    """Every cached answer about the letter is stale: now, and again once the caller's
    transaction commits, because until then a reader still sees the old rows and may have
    cached them under the new generation."""
    _bump(slug)
    transaction.on_commit(partial(_bump, slug), robust=True)


def _generation(key: str) -> str | None:
    known = _generations.get(key)
    if known is not None and known[1] > time.monotonic():
        return known[0]
    generation = cache.get(key)
    if generation is not None:
        _generations.put(key, generation, time.monotonic() + _TRUST)
    return cast("str | None", generation)


def cached(*, slug: str, part: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept until the letter changes or one sequencer interval passes.

    The generation is read before `compute()` reads the database, so a change that commits in
    between leaves the value under a generation nobody asks for any more.
    """
    interval = settings.SEQUENCER_INTERVAL_SECONDS
    generation_key = _generation_key(slug)
    held_key = f"{_letter_key(slug)}:{part}"
    generation = _generation(generation_key)
    if generation is not None:
        held = _held.get(held_key)
        if held is not None and held[0] == generation and held[1] > time.time():
            return cast(T, held[2])
        shared = cache.get(f"{_letter_key(slug)}:{generation}:{part}")
        if shared is not None:
            computed_at, value = shared
            _held.put(held_key, generation, computed_at + interval, value)
            return cast(T, value)
    computed_at = time.time()
    value = compute()
    if generation is None:
        # Never set, or evicted: a new token is as good as any. It is stored only once there is
        # something to keep (`compute` raises for a missing letter), so unknown slugs leave no
        # keys; when a writer set one meanwhile, this value may predate it and is not kept.
        generation = secrets.token_hex(8)
        if not cache.add(generation_key, generation, timeout=None):
            return value
        _generations.put(generation_key, generation, time.monotonic() + _TRUST)
    cache.set(f"{_letter_key(slug)}:{generation}:{part}", (computed_at, value), timeout=interval)
    _held.put(held_key, generation, computed_at + interval, value)
    return value


@dataclass(frozen=True)
class Answer:
    """A rendered 200 answer as the cache keeps it."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    last_modified: float

    @classmethod
    def of(cls, response: HttpResponse) -> Answer:
        body = response.content
        return cls(
            body=body,
            headers=tuple((name, response[name]) for name in _KEPT if response.has_header(name)),
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=float(int(time.time())),
        )


class Uncacheable(Exception):
    """The rendered answer was not a 200: it goes out as it is, and nothing is kept."""

    def __init__(self, response: HttpResponseBase) -> None:
        self.response = response


def public_answer(
    request: HttpRequest,
    *,
    slug: str,
    part: str,
    render: Callable[[], HttpResponseBase],
    cache_control: str,
) -> HttpResponseBase:
    """The answer `render()` gives, from the cache, as a public response (or a 304)."""

    def compute() -> Answer:
        response = render()
        if response.status_code != 200 or not isinstance(response, HttpResponse):
            raise Uncacheable(response)
        return Answer.of(response)

    try:
        answer = cached(slug=slug, part=part, compute=compute)
    except Uncacheable as refused:
        return refused.response
    response = HttpResponse(answer.body)
    for name, value in answer.headers:
        response[name] = value
    response["ETag"] = answer.etag
    response["Last-Modified"] = http_date(answer.last_modified)
    response["Cache-Control"] = cache_control
    anonymous(request)
    return (
        get_conditional_response(
            request, etag=answer.etag, last_modified=int(answer.last_modified), response=response
        )
        or response
    )


def has_session(request: HttpRequest) -> bool:
    """Whether the request carries a session cookie (an organizer, or a visitor mid-flow)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def anonymous(request: HttpRequest) -> None:
    """The response does not depend on the session: no `Vary: Cookie` for it.

    Middleware may have read the (empty or unused) session before the view, e.g. to ask whether
    the user is signed in; that read did not shape this response. Setting a cookie stays as the
    session decides (only a modified session sets one).
    """
    session = getattr(request, "session", None)
    if session is not None:
        session.accessed = False


def public_cache_control(*, max_age: int, stale: int) -> str:
    return f"public, max-age={max_age}, stale-while-revalidate={stale}"
