"""Proof-of-work challenges (the ALTCHA protocol, version 2), made and checked here alone.

A challenge is signed with a key derived from SECRET_KEY and carries its own expiry, so the
server keeps nothing per challenge until one is used: then its nonce is remembered in the cache
until it expires, and the same solution cannot pay for a second start. Nothing is fetched from
or sent to a third party; the page's widget is a static file (static/undersigned/vendor/altcha).
"""

from __future__ import annotations

import binascii
import json
import time
from typing import Any

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from undersigned.signing.errors import ChallengeFailed, ChallengeRequired

ALGORITHM = "PBKDF2/SHA-256"
# A base64 payload of a challenge and its solution is about 500 characters; longer is not one.
PAYLOAD_MAX = 2000


def _secret() -> str:
    return salted_hmac("undersigned.signing.challenge", "altcha").hexdigest()


def challenge_new() -> dict[str, Any]:
    """A fresh signed challenge, as the JSON object the widget and API clients solve."""
    made = altcha.create_challenge(
        ALGORITHM,
        settings.SIGNING_CHALLENGE_COST,
        expires_at=int(time.time()) + settings.SIGNING_CHALLENGE_TTL_SECONDS,
        hmac_secret=_secret(),
    )
    return dict(made.to_dict())


def challenge_json() -> str:
    return json.dumps(challenge_new(), separators=(",", ":"))


def challenge_check(payload: str) -> None:
    """Accept a solved, unexpired, unused challenge; else refuse with a new one to solve."""
    if not payload:
        raise ChallengeRequired(challenge_new())
    if len(payload) > PAYLOAD_MAX or not payload.isascii():
        raise ChallengeFailed(challenge_new())
    try:
        result = altcha.verify_solution(payload, _secret())
        nonce = (
            altcha.Payload.from_base64(payload).challenge.parameters.nonce
            if result.verified
            else None
        )
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error, RecursionError):
        # The library parses the payload itself; whatever it cannot read is a wrong answer.
        nonce = None
    used = f"altcha-used:{nonce}"
    if not isinstance(nonce, str) or not cache.add(
        used, 1, timeout=settings.SIGNING_CHALLENGE_TTL_SECONDS + 60
    ):
        raise ChallengeFailed(challenge_new())
