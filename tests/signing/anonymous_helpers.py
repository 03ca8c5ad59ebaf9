"""Shortcuts for anonymous-signing tests: the client side of issuance, done as a signer would."""

from __future__ import annotations

from tests.signing.helpers import outbox_code
from undersigned.crypto import tokens
from undersigned.letters.models import Letter
from undersigned.signing import services
from undersigned.signing.inputs import SignerDetails


def start_anonymous(letter: Letter, email: str) -> None:
    services.signing_start(
        letter=letter,
        email=email,
        details=SignerDetails(tier="anonymous"),
        updates=False,
        language="en",
    )


def blinded_request(
    letter: Letter, challenge: bytes | None = None
) -> tuple[bytes, tokens.TokenRequestState]:
    """A token request under the letter's published key (and its challenge unless given)."""
    key = services.anonymous_open(letter=letter)
    request, state = tokens.create_token_request(
        challenge or bytes(key.token_challenge), bytes(key.spki)
    )
    return request.encode(), state


def token_by_email(letter: Letter, email: str, challenge: bytes | None = None) -> bytes:
    start_anonymous(letter, email)
    request, state = blinded_request(letter, challenge)
    response = services.token_issue(
        letter=letter, email=email, code=outbox_code(email), token_request=request
    )
    return tokens.finalize_token(state, response).encode()


def token_by_invite(letter: Letter, invite_code: str) -> bytes:
    request, state = blinded_request(letter)
    response = services.token_issue_with_invite(
        letter=letter, invite_code=invite_code, token_request=request
    )
    return tokens.finalize_token(state, response).encode()


def flip(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)
