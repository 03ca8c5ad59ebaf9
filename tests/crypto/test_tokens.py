"""Privacy Pass token type 0x0002: RFC 9578 vectors byte for byte, strict parsing, round trips."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.crypto import blindrsa, tokens
from undersigned.crypto.tokens import (
    InvalidIssuerKey,
    InvalidToken,
    InvalidTokenResponse,
    IssuerPublicKey,
    KeyMismatch,
    MalformedMessage,
    Token,
    TokenChallenge,
    TokenRequest,
    TokenResponse,
    UnsupportedTokenType,
)

VECTOR_DIR = Path(__file__).parent / "vectors"
VECTORS: list[dict[str, str]] = json.loads(
    (VECTOR_DIR / "rfc9578-token-type-0002.json").read_text()
)["vectors"]
INDICES = list(range(len(VECTORS)))

ROUNDTRIP = settings(database=None, deadline=None, max_examples=30)


def field(index: int, name: str) -> bytes:
    return bytes.fromhex(VECTORS[index][name])


@functools.cache
def vector_private_key(index: int) -> rsa.RSAPrivateKey:
    return blindrsa.load_private_key(field(index, "skS"))  # PEM text, hex-encoded


@functools.cache
def other_key() -> rsa.RSAPrivateKey:
    """A second 2048-bit key, generated once per session, for wrong-key tests."""
    return blindrsa.generate_private_key(2048)


def vector_request(index: int) -> tuple[TokenRequest, tokens.TokenRequestState]:
    return tokens.create_token_request(
        field(index, "token_challenge"),
        field(index, "pkS"),
        nonce=field(index, "nonce"),
        salt=field(index, "salt"),
        blind_factor=int(VECTORS[index]["blind"], 16),  # RFC 9578 publishes r itself
    )


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# --- published vectors ------------------------------------------------------------------------


def test_vectors_all_five_loaded() -> None:
    assert len(VECTORS) == 5


@pytest.mark.parametrize("index", INDICES)
def test_issuer_public_key_vector_spki_matches(index: int) -> None:
    public_key = vector_private_key(index).public_key()
    assert tokens.encode_issuer_public_key(public_key) == field(index, "pkS")


@pytest.mark.parametrize("index", INDICES)
def test_issuer_public_key_vector_key_id_matches(index: int) -> None:
    key = IssuerPublicKey.from_spki(field(index, "pkS"))
    assert key.token_key_id == hashlib.sha256(field(index, "pkS")).digest()
    assert key.truncated_token_key_id == field(index, "token_request")[2]
    assert (
        key.public_key.public_numbers() == vector_private_key(index).public_key().public_numbers()
    )


@pytest.mark.parametrize("index", INDICES)
def test_token_challenge_vector_roundtrip(index: int) -> None:
    challenge = TokenChallenge.decode(field(index, "token_challenge"))
    assert challenge.token_type == 0x0002
    assert challenge.issuer_name == "issuer.example"
    assert challenge.encode() == field(index, "token_challenge")


@pytest.mark.parametrize("index", INDICES)
def test_create_token_request_vector_matches(index: int) -> None:
    request, _ = vector_request(index)
    assert request.encode() == field(index, "token_request")


@pytest.mark.parametrize("index", INDICES)
def test_token_request_vector_decode_roundtrip(index: int) -> None:
    request = TokenRequest.decode(field(index, "token_request"))
    assert request.encode() == field(index, "token_request")


@pytest.mark.parametrize("index", INDICES)
def test_issue_token_response_vector_matches(index: int) -> None:
    response = tokens.issue_token_response(vector_private_key(index), field(index, "token_request"))
    assert response.encode() == field(index, "token_response")


@pytest.mark.parametrize("index", INDICES)
def test_issue_token_response_vector_with_issuer_key_matches(index: int) -> None:
    key = IssuerPublicKey.from_spki(field(index, "pkS"))
    request = TokenRequest.decode(field(index, "token_request"))
    response = tokens.issue_token_response(vector_private_key(index), request, issuer_key=key)
    assert response.encode() == field(index, "token_response")


@pytest.mark.parametrize("index", INDICES)
def test_finalize_token_vector_matches(index: int) -> None:
    _, state = vector_request(index)
    token = tokens.finalize_token(state, field(index, "token_response"))
    assert token.encode() == field(index, "token")


@pytest.mark.parametrize("index", INDICES)
def test_token_vector_fields_decoded(index: int) -> None:
    token = Token.decode(field(index, "token"))
    assert token.nonce == field(index, "nonce")
    assert token.challenge_digest == hashlib.sha256(field(index, "token_challenge")).digest()
    assert token.token_key_id == hashlib.sha256(field(index, "pkS")).digest()
    assert token.encode() == field(index, "token")


@pytest.mark.parametrize("index", INDICES)
def test_verify_token_vector_accepted(index: int) -> None:
    token = tokens.verify_token(
        field(index, "token"), field(index, "pkS"), field(index, "token_challenge")
    )
    assert token.nonce == field(index, "nonce")


@pytest.mark.parametrize("index", INDICES)
def test_verify_token_vector_every_flipped_byte_rejected(index: int) -> None:
    original = field(index, "token")
    key = IssuerPublicKey.from_spki(field(index, "pkS"))
    challenge = TokenChallenge.decode(field(index, "token_challenge"))
    for position in range(len(original)):
        if position < 2:
            expected: type[Exception] = UnsupportedTokenType
        elif 2 + 32 + 32 <= position < 2 + 32 + 32 + 32:
            expected = KeyMismatch
        else:
            expected = InvalidToken
        with pytest.raises(expected):
            tokens.verify_token(flip(original, position), key, challenge)


@pytest.mark.parametrize("index", INDICES)
def test_verify_token_vector_other_challenge_rejected(index: int) -> None:
    other = field((index + 1) % len(VECTORS), "token_challenge")
    with pytest.raises(InvalidToken, match="different challenge"):
        tokens.verify_token(field(index, "token"), field(index, "pkS"), other)


def test_verify_token_other_issuer_key_rejected() -> None:
    with pytest.raises(KeyMismatch, match="different issuer key"):
        tokens.verify_token(
            field(0, "token"), other_key().public_key(), field(0, "token_challenge")
        )


def test_verify_token_signed_by_other_key_with_copied_key_id_rejected() -> None:
    # A forger controls every field: only the signature check can catch this one.
    challenge = field(0, "token_challenge")
    request, state = tokens.create_token_request(challenge, other_key().public_key())
    forged = tokens.finalize_token(state, tokens.issue_token_response(other_key(), request))
    copied = Token(
        forged.nonce, forged.challenge_digest, field(0, "token")[66:98], forged.authenticator
    )
    with pytest.raises(InvalidToken, match="not a valid issuer signature"):
        tokens.verify_token(copied, field(0, "pkS"), challenge)


# --- strict parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 2, 353, 355, 708])
def test_token_decode_wrong_length_rejected(length: int) -> None:
    data = (field(0, "token") * 2)[:length]
    with pytest.raises(MalformedMessage):
        Token.decode(data)


@pytest.mark.parametrize("token_type", [0x0000, 0x0001, 0x0003, 0x0200, 0xFFFF])
def test_token_decode_wrong_type_rejected(token_type: int) -> None:
    data = token_type.to_bytes(2, "big") + field(0, "token")[2:]
    with pytest.raises(UnsupportedTokenType, match=f"0x{token_type:04x}"):
        Token.decode(data)


@pytest.mark.parametrize("length", [0, 1, 2, 3, 258, 260])
def test_token_request_decode_wrong_length_rejected(length: int) -> None:
    data = (field(0, "token_request") * 2)[:length]
    with pytest.raises(MalformedMessage):
        TokenRequest.decode(data)


def test_token_request_decode_wrong_type_rejected() -> None:
    data = b"\x00\x01" + field(0, "token_request")[2:]
    with pytest.raises(UnsupportedTokenType):
        TokenRequest.decode(data)


@pytest.mark.parametrize("length", [0, 255, 257])
def test_token_response_decode_wrong_length_rejected(length: int) -> None:
    with pytest.raises(MalformedMessage, match="256 bytes"):
        TokenResponse.decode(b"\x01" * length)


def test_token_challenge_decode_every_truncation_rejected() -> None:
    data = field(0, "token_challenge")
    for length in range(len(data)):
        with pytest.raises((MalformedMessage, UnsupportedTokenType)):
            TokenChallenge.decode(data[:length])


def test_token_challenge_decode_trailing_bytes_rejected() -> None:
    with pytest.raises(MalformedMessage, match="trailing"):
        TokenChallenge.decode(field(0, "token_challenge") + b"\x00")


def test_token_challenge_decode_wrong_type_rejected() -> None:
    with pytest.raises(UnsupportedTokenType):
        TokenChallenge.decode(b"\x00\x01" + field(0, "token_challenge")[2:])


@pytest.mark.parametrize("length", [1, 16, 31, 33])
def test_token_challenge_bad_redemption_context_rejected(length: int) -> None:
    with pytest.raises(MalformedMessage, match="0 or 32 bytes"):
        TokenChallenge(0x0002, "issuer.example", b"\x00" * length)


@pytest.mark.parametrize(
    "name", ["", "user@issuer.example", "issuer example", "iss\u00fcer.example", "a,b"]
)
def test_token_challenge_bad_issuer_name_rejected(name: str) -> None:
    with pytest.raises(MalformedMessage, match="server name"):
        TokenChallenge(0x0002, name)


@pytest.mark.parametrize("origin_info", [",", "a.example,", "a.example,,b.example", "a b"])
def test_token_challenge_bad_origin_info_rejected(origin_info: str) -> None:
    with pytest.raises(MalformedMessage, match="server name"):
        TokenChallenge(0x0002, "issuer.example", b"", origin_info)


def test_token_challenge_decode_non_ascii_rejected() -> None:
    data = b"\x00\x02\x00\x02\xc3\xbc\x00\x00\x00"
    with pytest.raises(MalformedMessage, match="ASCII"):
        TokenChallenge.decode(data)


def test_token_challenge_origins_split() -> None:
    challenge = TokenChallenge.decode(field(2, "token_challenge"))
    assert challenge.origins == ("foo.example", "bar.example")


def test_issuer_public_key_rsa_encryption_spki_rejected() -> None:
    spki = (
        vector_private_key(0)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(InvalidIssuerKey, match="id-RSASSA-PSS"):
        IssuerPublicKey.from_spki(spki)


def test_issuer_public_key_pss_zero_salt_spki_rejected() -> None:
    public_key = vector_private_key(0).public_key()
    spki = blindrsa.encode_pss_spki(public_key, blindrsa.RSABSSA_SHA384_PSSZERO_DETERMINISTIC)
    with pytest.raises(InvalidIssuerKey, match="salt 48"):
        IssuerPublicKey.from_spki(spki)


def test_issuer_public_key_4096_bit_rejected() -> None:
    rfc9474 = json.loads((VECTOR_DIR / "rfc9474-rsabssa.json").read_text())
    n = int(rfc9474["RSABSSA-SHA384-PSS-Deterministic"]["n"], 16)
    with pytest.raises(InvalidIssuerKey, match="2048-bit"):
        IssuerPublicKey.from_public_key(rsa.RSAPublicNumbers(65537, n).public_key())


@pytest.mark.parametrize("spki", [b"", b"\x30\x00", b"not a key"])
def test_issuer_public_key_garbage_rejected(spki: bytes) -> None:
    with pytest.raises(InvalidIssuerKey):
        IssuerPublicKey.from_spki(spki)


# --- issuer and client failures ---------------------------------------------------------------


def test_issue_token_response_wrong_truncated_key_id_rejected() -> None:
    data = bytearray(field(0, "token_request"))
    data[2] ^= 0xFF
    with pytest.raises(KeyMismatch, match="truncated key id"):
        tokens.issue_token_response(vector_private_key(0), bytes(data))


def test_issue_token_response_wrong_type_rejected() -> None:
    data = b"\x00\x01" + field(0, "token_request")[2:]
    with pytest.raises(UnsupportedTokenType):
        tokens.issue_token_response(vector_private_key(0), data)


@pytest.mark.parametrize("length", [258, 260])
def test_issue_token_response_wrong_length_rejected(length: int) -> None:
    data = (field(0, "token_request") + b"\x00")[:length]
    with pytest.raises(MalformedMessage, match="259 bytes"):
        tokens.issue_token_response(vector_private_key(0), data)


def test_issue_token_response_blinded_msg_not_below_n_rejected() -> None:
    data = field(0, "token_request")[:3] + b"\xff" * 256
    with pytest.raises(MalformedMessage, match="must be < n"):
        tokens.issue_token_response(vector_private_key(0), data)


def test_issue_token_response_mismatched_issuer_key_rejected() -> None:
    other = IssuerPublicKey.from_public_key(other_key().public_key())
    with pytest.raises(KeyMismatch, match="public half"):
        tokens.issue_token_response(
            vector_private_key(0), field(0, "token_request"), issuer_key=other
        )


def test_finalize_token_tampered_response_rejected() -> None:
    _, state = vector_request(0)
    with pytest.raises(InvalidTokenResponse):
        tokens.finalize_token(state, flip(field(0, "token_response"), 100))


def test_finalize_token_response_from_other_key_rejected() -> None:
    request, state = tokens.create_token_request(field(0, "token_challenge"), field(0, "pkS"))
    n = other_key().public_key().public_numbers().n
    reduced = (int.from_bytes(request.blinded_msg, "big") % n).to_bytes(256, "big")
    response = TokenResponse(blindrsa.blind_sign(other_key(), reduced))
    with pytest.raises(InvalidTokenResponse):
        tokens.finalize_token(state, response)


@pytest.mark.parametrize("length", [0, 31, 33])
def test_create_token_request_wrong_nonce_length_rejected(length: int) -> None:
    with pytest.raises(MalformedMessage, match="nonce must be 32 bytes"):
        tokens.create_token_request(
            field(0, "token_challenge"), field(0, "pkS"), nonce=b"\x00" * length
        )


def test_create_token_request_malformed_challenge_rejected() -> None:
    with pytest.raises(MalformedMessage):
        tokens.create_token_request(field(0, "token_challenge")[:-1], field(0, "pkS"))


def test_token_request_state_repr_hides_secrets() -> None:
    _, state = vector_request(0)
    assert repr(state) == "TokenRequestState(<secret>)"


# --- random round trips -----------------------------------------------------------------------

HOSTNAMES = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){0,3}(:[0-9]{1,5})?", fullmatch=True)
CHALLENGES = st.builds(
    TokenChallenge,
    token_type=st.just(0x0002),
    issuer_name=HOSTNAMES,
    redemption_context=st.one_of(st.just(b""), st.binary(min_size=32, max_size=32)),
    origin_info=st.lists(HOSTNAMES, max_size=4).map(",".join),
)


@ROUNDTRIP
@given(challenge=CHALLENGES)
def test_token_challenge_random_encode_decode_roundtrip(challenge: TokenChallenge) -> None:
    assert TokenChallenge.decode(challenge.encode()) == challenge


@ROUNDTRIP
@given(challenge=CHALLENGES, other=CHALLENGES)
def test_token_random_challenge_issue_redeem_roundtrip(
    challenge: TokenChallenge, other: TokenChallenge
) -> None:
    private_key = vector_private_key(0)
    key = IssuerPublicKey.from_public_key(private_key.public_key())
    request, state = tokens.create_token_request(challenge, key.spki)
    response = tokens.issue_token_response(private_key, request.encode())
    token = tokens.finalize_token(state, response.encode())
    encoded = token.encode()
    assert len(encoded) == 354
    assert tokens.verify_token(encoded, key, challenge.encode()) == token
    if other.encode() != challenge.encode():
        with pytest.raises(InvalidToken):
            tokens.verify_token(encoded, key, other)


@ROUNDTRIP
@given(challenge=CHALLENGES)
def test_token_random_requests_unlinkable_nonces_fresh(challenge: TokenChallenge) -> None:
    public_key = vector_private_key(0).public_key()
    first, first_state = tokens.create_token_request(challenge, public_key)
    second, second_state = tokens.create_token_request(challenge, public_key)
    assert first.blinded_msg != second.blinded_msg
    assert first_state.token_input[2:34] != second_state.token_input[2:34]
