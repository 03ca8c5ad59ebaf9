"""The Privacy Pass client modules in Chromium, under the site's CSP, against the Python issuer."""

from __future__ import annotations

import base64
import functools

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page

from undersigned.crypto import blindrsa, tokens
from undersigned.crypto.tokens import TokenChallenge

MODULE = "/static/undersigned/js/privacypass.js"
CHALLENGE = TokenChallenge(tokens.TOKEN_TYPE_BLIND_RSA, "letters.example.org")

# The blinding state stays in the page between the two calls, as on the signing page.
REQUEST = """async ([module, issuerKey, challenge]) => {
  const pp = await import(module);
  const key = await pp.importIssuerKey(pp.base64Decode(issuerKey));
  const { tokenRequest, state } = await pp.createTokenRequest(pp.base64Decode(challenge), key);
  window.tokenState = state;
  return pp.base64Encode(tokenRequest);
}"""
FINALIZE = """async ([module, response]) => {
  const pp = await import(module);
  try {
    return pp.base64Encode(await pp.finalizeToken(window.tokenState, pp.base64Decode(response)));
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}"""


@functools.cache
def issuer_key() -> rsa.RSAPrivateKey:
    return blindrsa.generate_private_key(2048)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def request_token(page: Page, live_server: object) -> bytes:
    page.goto(f"{live_server}/")
    spki = tokens.encode_issuer_public_key(issuer_key().public_key())
    request: str = page.evaluate(REQUEST, [MODULE, b64(spki), b64(CHALLENGE.encode())])
    return base64.b64decode(request)


@pytest.mark.e2e
def test_chromium_token_verifies_with_python_issuer(live_server: object, page: Page) -> None:
    request = request_token(page, live_server)
    response = tokens.issue_token_response(issuer_key(), request).encode()

    token = base64.b64decode(page.evaluate(FINALIZE, [MODULE, b64(response)]))

    verified = tokens.verify_token(token, issuer_key().public_key(), CHALLENGE)
    assert verified.challenge_digest == CHALLENGE.digest()


@pytest.mark.e2e
def test_chromium_finalize_tampered_response_fails(live_server: object, page: Page) -> None:
    request = request_token(page, live_server)
    response = bytearray(tokens.issue_token_response(issuer_key(), request).encode())
    response[-1] ^= 0x01

    outcome = page.evaluate(FINALIZE, [MODULE, b64(bytes(response))])

    assert outcome == (
        "TokenError: issuer response does not yield a valid token: the server's blind signature "
        "does not unblind to a valid signature "
        "(wrong key, tampered response, or mismatched blinding state)"
    )
