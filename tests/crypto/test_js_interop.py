"""The browser's Privacy Pass client (static/undersigned/js) against the Python issuer, in Node.

JavaScript blinds token requests, `tokens.issue_token_response` signs them, JavaScript finalizes
the tokens, and `tokens.verify_token` must accept them: the two sides agree on every byte. Node is
a requirement of the test suite (`make test` installs it), so a missing `node` fails, not skips.
"""

from __future__ import annotations

import base64
import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from undersigned.crypto import blindrsa, tokens
from undersigned.crypto.tokens import IssuerPublicKey, TokenChallenge

CLIENT = Path(__file__).parents[1] / "js" / "interop_client.mjs"
CHALLENGE = TokenChallenge(
    tokens.TOKEN_TYPE_BLIND_RSA, "letters.example.org", b"", "letters.example.org"
)
TIMEOUT = 60
INVALID_RESPONSE = (
    "TokenError: issuer response does not yield a valid token: the server's blind signature "
    "does not unblind to a valid signature "
    "(wrong key, tampered response, or mismatched blinding state)"
)


@functools.cache
def issuer_key() -> rsa.RSAPrivateKey:
    return blindrsa.generate_private_key(2048)


@functools.cache
def other_key() -> rsa.RSAPrivateKey:
    return blindrsa.generate_private_key(2048)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class NodeClient:
    """One `node interop_client.mjs` process: the blinding state lives in it between steps."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is required for the JavaScript client tests: apt-get install nodejs")
        self.process = subprocess.Popen(
            [node, str(CLIENT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def exchange(self, message: dict[str, Any]) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=TIMEOUT)
            assert self.process.stderr is not None
            pytest.fail(f"node client exited early: {self.process.stderr.read()}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            assert self.process.wait(timeout=TIMEOUT) == 0
        finally:
            self.process.kill()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


def run_client(count: int, sign: Any) -> list[dict[str, str]]:
    """JS makes `count` requests, `sign(request_bytes) -> response_bytes` answers each."""
    client = NodeClient()
    try:
        requested = client.exchange(
            {
                "issuer_key": b64(tokens.encode_issuer_public_key(issuer_key().public_key())),
                "challenge": b64(CHALLENGE.encode()),
                "count": count,
            }
        )
        requests = [base64.b64decode(text) for text in requested["token_requests"]]
        answered = client.exchange({"token_responses": [b64(sign(r)) for r in requests]})
    finally:
        client.close()
    results: list[dict[str, str]] = answered["results"]
    return results


def python_issuer(request: bytes) -> bytes:
    return tokens.issue_token_response(issuer_key(), request).encode()


def test_js_tokens_verify_with_python_issuer() -> None:
    results = run_client(5, python_issuer)

    verified = [
        tokens.verify_token(base64.b64decode(result["token"]), issuer_key().public_key(), CHALLENGE)
        for result in results
    ]
    assert len({token.nonce for token in verified}) == 5
    key_id = IssuerPublicKey.from_public_key(issuer_key().public_key()).token_key_id
    assert [token.token_key_id for token in verified] == [key_id] * 5


def test_js_token_requests_decode_for_python_issuer() -> None:
    seen: list[tokens.TokenRequest] = []

    def record(request: bytes) -> bytes:
        seen.append(tokens.TokenRequest.decode(request))
        return python_issuer(request)

    run_client(2, record)

    truncated = IssuerPublicKey.from_public_key(issuer_key().public_key()).truncated_token_key_id
    assert [request.truncated_token_key_id for request in seen] == [truncated, truncated]
    assert seen[0].blinded_msg != seen[1].blinded_msg


def test_js_finalize_tampered_response_fails() -> None:
    def tampered(request: bytes) -> bytes:
        response = bytearray(python_issuer(request))
        response[-1] ^= 0x01
        return bytes(response)

    assert run_client(1, tampered) == [{"error": INVALID_RESPONSE}]


def test_js_finalize_response_from_other_key_fails() -> None:
    def wrong_issuer(request: bytes) -> bytes:
        # Raw RSA under the other key; reducing mod its n keeps blind_sign's range check quiet.
        numbers = other_key().private_numbers()
        n = numbers.public_numbers.n
        blinded = int.from_bytes(tokens.TokenRequest.decode(request).blinded_msg, "big") % n
        # Reduced mod the real issuer's modulus too: about half of all results would otherwise
        # be refused earlier, as "not smaller than the modulus", and the test would flip.
        real_n = issuer_key().public_key().public_numbers().n
        return (pow(blinded, numbers.d, n) % real_n).to_bytes(tokens.NK, "big")

    assert run_client(1, wrong_issuer) == [{"error": INVALID_RESPONSE}]


def test_js_finalize_truncated_response_fails() -> None:
    results = run_client(1, lambda request: python_issuer(request)[:-1])

    assert results == [{"error": "TokenError: TokenResponse must be 256 bytes, got 255"}]
