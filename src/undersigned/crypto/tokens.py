"""Privacy Pass tokens of type 0x0002, Blind RSA 2048 (RFC 9578 section 6, RFC 9577 section 2).

Three roles use this module:
- client: `create_token_request` then, with the issuer's answer, `finalize_token`;
- issuer: `issue_token_response`, which rejects malformed requests (HTTP 422 territory);
- redeemer: `verify_token`; checking that the nonce was never redeemed before is the caller's
  job, since it needs storage.

Every decoder is strict: a message of the wrong length, with a different token type or naming a
different key raises a `TokenError` subclass rather than being silently accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from undersigned.crypto import blindrsa

TOKEN_TYPE_BLIND_RSA = 0x0002
NK = 256  # authenticator, blinded message and blind signature length
NID = 32  # token_key_id length
NONCE_LEN = 32
DIGEST_LEN = 32
KEY_BITS = 2048
# RFC 9578 section 6 pins the deterministic variant with a 48-byte salt for this token type.
VARIANT = blindrsa.RSABSSA_SHA384_PSS_DETERMINISTIC

TOKEN_REQUEST_LEN = 2 + 1 + NK
TOKEN_LEN = 2 + NONCE_LEN + DIGEST_LEN + NID + NK

_SERVER_NAME = re.compile(r"[!-~]+")  # printable ASCII, no spaces or control characters


class TokenError(Exception):
    """Base class for every failure raised by this module."""


class MalformedMessage(TokenError, ValueError):
    """A structure is truncated, overlong, or has a field outside its allowed range."""


class UnsupportedTokenType(TokenError):
    """The structure carries a token type other than 0x0002."""


class InvalidIssuerKey(TokenError, ValueError):
    """The issuer key is not a 2048-bit RSA key in the RSASSA-PSS SPKI form RFC 9578 requires."""


class KeyMismatch(TokenError):
    """The request or token names an issuer key other than the one given."""


class InvalidTokenResponse(TokenError):
    """The issuer's response does not finalize into a valid token (client side)."""


class InvalidToken(TokenError):
    """The token is well formed but not valid for this challenge and key (redeemer side)."""


def _check_len(data: bytes, expected: int, what: str) -> None:
    if len(data) != expected:
        raise MalformedMessage(f"{what} must be {expected} bytes, got {len(data)}")


def _check_type(token_type: int | bytes, what: str) -> None:
    if isinstance(token_type, bytes):
        # Checked before the total length, so that e.g. a type 0x0001 request gets the
        # accurate complaint rather than a confusing length error.
        if len(token_type) < 2:
            raise MalformedMessage(f"{what} is too short to hold a token type")
        token_type = int.from_bytes(token_type[:2], "big")
    if token_type != TOKEN_TYPE_BLIND_RSA:
        raise UnsupportedTokenType(
            f"{what} has token type 0x{token_type:04x}; only 0x0002 (Blind RSA 2048) is supported"
        )


def _check_server_name(name: str) -> None:
    # RFC 9577 section 2.1.1.1: a URI authority without userinfo. Commas are excluded because
    # origin_info uses them as its list separator.
    if not _SERVER_NAME.fullmatch(name) or "@" in name or "," in name:
        raise MalformedMessage(f"{name!r} is not a server name (ASCII host[:port])")


@dataclass(frozen=True)
class TokenChallenge:
    """RFC 9577 TokenChallenge; `origin_info` is the raw comma-separated list of origins."""

    token_type: int
    issuer_name: str
    redemption_context: bytes = b""
    origin_info: str = ""

    def __post_init__(self) -> None:
        _check_type(self.token_type, "TokenChallenge")
        if len(self.redemption_context) not in (0, 32):
            raise MalformedMessage(
                f"redemption_context must be 0 or 32 bytes, got {len(self.redemption_context)}"
            )
        if max(len(self.issuer_name), len(self.origin_info)) > 0xFFFF:
            raise MalformedMessage("issuer_name and origin_info must fit in 65535 bytes")
        for origin in (self.issuer_name, *self.origins):
            _check_server_name(origin)

    @property
    def origins(self) -> tuple[str, ...]:
        """The origin names in `origin_info`; empty means any origin."""
        return tuple(self.origin_info.split(",")) if self.origin_info else ()

    def encode(self) -> bytes:
        issuer, origin = self.issuer_name.encode("ascii"), self.origin_info.encode("ascii")
        context = self.redemption_context
        fmt = f"!HH{len(issuer)}sB{len(context)}sH{len(origin)}s"
        fields = (self.token_type, len(issuer), issuer, len(context), context, len(origin), origin)
        return struct.pack(fmt, *fields)

    def digest(self) -> bytes:
        """SHA-256 of the encoding: the `challenge_digest` bound into tokens."""
        return hashlib.sha256(self.encode()).digest()

    @classmethod
    def decode(cls, data: bytes) -> TokenChallenge:
        _check_type(data, "TokenChallenge")
        pos = 2

        def take(size: int, field: str) -> bytes:
            nonlocal pos
            if pos + size > len(data):
                raise MalformedMessage(f"TokenChallenge is truncated inside {field}")
            chunk = data[pos : pos + size]
            pos += size
            return chunk

        issuer = take(int.from_bytes(take(2, "issuer_name length"), "big"), "issuer_name")
        context = take(take(1, "redemption_context length")[0], "redemption_context")
        origin = take(int.from_bytes(take(2, "origin_info length"), "big"), "origin_info")
        if pos != len(data):
            raise MalformedMessage(f"TokenChallenge has {len(data) - pos} trailing bytes")
        try:
            issuer_name, origin_info = issuer.decode("ascii"), origin.decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedMessage("TokenChallenge names must be ASCII") from exc
        return cls(TOKEN_TYPE_BLIND_RSA, issuer_name, context, origin_info)


@dataclass(frozen=True)
class TokenRequest:
    """RFC 9578 section 6.1 TokenRequest (client to issuer)."""

    truncated_token_key_id: int
    blinded_msg: bytes
    token_type: int = TOKEN_TYPE_BLIND_RSA

    def __post_init__(self) -> None:
        _check_type(self.token_type, "TokenRequest")
        if not 0 <= self.truncated_token_key_id <= 0xFF:
            raise MalformedMessage("truncated_token_key_id must be a single byte (0..255)")
        _check_len(self.blinded_msg, NK, "TokenRequest.blinded_msg")

    def encode(self) -> bytes:
        return struct.pack("!HB", self.token_type, self.truncated_token_key_id) + self.blinded_msg

    @classmethod
    def decode(cls, data: bytes) -> TokenRequest:
        _check_type(data, "TokenRequest")
        _check_len(data, TOKEN_REQUEST_LEN, "TokenRequest")
        return cls(truncated_token_key_id=data[2], blinded_msg=data[3:])


@dataclass(frozen=True)
class TokenResponse:
    """RFC 9578 section 6.2 TokenResponse (issuer to client): just the blind signature."""

    blind_sig: bytes

    def __post_init__(self) -> None:
        _check_len(self.blind_sig, NK, "TokenResponse.blind_sig")

    def encode(self) -> bytes:
        return self.blind_sig

    @classmethod
    def decode(cls, data: bytes) -> TokenResponse:
        _check_len(data, NK, "TokenResponse")
        return cls(blind_sig=data)


@dataclass(frozen=True)
class Token:
    """RFC 9577 section 2.2 Token; `nonce` is what redeemers record against double spending."""

    nonce: bytes
    challenge_digest: bytes
    token_key_id: bytes
    authenticator: bytes
    token_type: int = TOKEN_TYPE_BLIND_RSA

    def __post_init__(self) -> None:
        _check_type(self.token_type, "Token")
        _check_len(self.nonce, NONCE_LEN, "Token.nonce")
        _check_len(self.challenge_digest, DIGEST_LEN, "Token.challenge_digest")
        _check_len(self.token_key_id, NID, "Token.token_key_id")
        _check_len(self.authenticator, NK, "Token.authenticator")

    @property
    def authenticator_input(self) -> bytes:
        """The bytes the authenticator signs: every field but the authenticator."""
        return (
            struct.pack("!H", self.token_type)
            + self.nonce
            + self.challenge_digest
            + self.token_key_id
        )

    def encode(self) -> bytes:
        return self.authenticator_input + self.authenticator

    @classmethod
    def decode(cls, data: bytes) -> Token:
        _check_type(data, "Token")
        _check_len(data, TOKEN_LEN, "Token")
        return cls(*_split_token_input(data[: TOKEN_LEN - NK]), authenticator=data[-NK:])


def _split_token_input(token_input: bytes) -> tuple[bytes, bytes, bytes]:
    """(nonce, challenge_digest, token_key_id) from type || nonce || digest || key id."""
    a, b = 2 + NONCE_LEN, 2 + NONCE_LEN + DIGEST_LEN
    return token_input[2:a], token_input[a:b], token_input[b:]


def encode_issuer_public_key(public_key: rsa.RSAPublicKey) -> bytes:
    """DER SPKI with the id-RSASSA-PSS OID and SHA-384 parameters (RFC 9578 section 6.5)."""
    return blindrsa.encode_pss_spki(public_key, VARIANT)


@dataclass(frozen=True, eq=False)
class IssuerPublicKey:
    """An issuer key with its SPKI and token_key_id computed once; build with a classmethod."""

    public_key: rsa.RSAPublicKey
    spki: bytes
    token_key_id: bytes

    @classmethod
    def from_public_key(cls, public_key: rsa.RSAPublicKey) -> IssuerPublicKey:
        if public_key.key_size != KEY_BITS:
            raise InvalidIssuerKey(
                f"token type 0x0002 needs a {KEY_BITS}-bit key, got {public_key.key_size} bits"
            )
        spki = encode_issuer_public_key(public_key)
        return cls(public_key, spki, hashlib.sha256(spki).digest())

    @classmethod
    def from_spki(cls, spki: bytes) -> IssuerPublicKey:
        """Strictly load an RSASSA-PSS SPKI; an rsaEncryption SPKI or other parameters fail."""
        try:
            public_key = blindrsa.load_public_key(spki)
        except blindrsa.InvalidInput as exc:
            raise InvalidIssuerKey(f"issuer key is not a usable RSA SPKI: {exc}") from exc
        key = cls.from_public_key(public_key)
        # Re-encoding and comparing rejects rsaEncryption keys, other PSS parameters and
        # non-canonical DER, any of which would change token_key_id.
        if key.spki != spki:
            raise InvalidIssuerKey(
                "issuer key SPKI must use id-RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48"
            )
        return key

    @property
    def truncated_token_key_id(self) -> int:
        return self.token_key_id[-1]


IssuerKeyLike = IssuerPublicKey | rsa.RSAPublicKey | bytes


def _issuer_key(key: IssuerKeyLike) -> IssuerPublicKey:
    if isinstance(key, IssuerPublicKey):
        return key
    if isinstance(key, bytes):
        return IssuerPublicKey.from_spki(key)
    return IssuerPublicKey.from_public_key(key)


def _challenge_bytes(challenge: TokenChallenge | bytes) -> bytes:
    if isinstance(challenge, TokenChallenge):
        return challenge.encode()
    TokenChallenge.decode(challenge)  # validate only; the digest covers the exact bytes
    return challenge


@dataclass(frozen=True, repr=False)
class TokenRequestState:
    """What the client keeps between request and response. `inv` is secret: never send it."""

    issuer_key: IssuerPublicKey
    token_input: bytes
    inv: int

    def __repr__(self) -> str:  # token_input holds the nonce, inv unblinds: both are secrets
        return "TokenRequestState(<secret>)"


def create_token_request(
    challenge: TokenChallenge | bytes,
    issuer_key: IssuerKeyLike,
    *,
    nonce: bytes | None = None,
    salt: bytes | None = None,
    blind_factor: int | None = None,
) -> tuple[TokenRequest, TokenRequestState]:
    """Blind a fresh token input for `challenge`; `nonce`/`salt`/`blind_factor`: vectors only."""
    key = _issuer_key(issuer_key)
    if nonce is None:
        nonce = secrets.token_bytes(NONCE_LEN)
    _check_len(nonce, NONCE_LEN, "nonce")
    challenge_digest = hashlib.sha256(_challenge_bytes(challenge)).digest()
    token_input = (
        TOKEN_TYPE_BLIND_RSA.to_bytes(2, "big") + nonce + challenge_digest + key.token_key_id
    )
    result = blindrsa.blind(
        key.public_key,
        blindrsa.prepare(token_input, VARIANT),
        VARIANT,
        salt=salt,
        blind_factor=blind_factor,
    )
    request = TokenRequest(key.truncated_token_key_id, result.blinded_msg)
    return request, TokenRequestState(key, token_input, result.inv)


def finalize_token(state: TokenRequestState, response: TokenResponse | bytes) -> Token:
    """Unblind the issuer's response into a Token; raise `InvalidTokenResponse` if it is bad."""
    if isinstance(response, bytes):
        response = TokenResponse.decode(response)
    try:
        authenticator = blindrsa.finalize(
            state.issuer_key.public_key, state.token_input, response.blind_sig, state.inv, VARIANT
        )
    except blindrsa.BlindSignatureError as exc:
        raise InvalidTokenResponse(f"issuer response does not yield a valid token: {exc}") from exc
    return Token(*_split_token_input(state.token_input), authenticator=authenticator)


def issue_token_response(
    private_key: rsa.RSAPrivateKey,
    request: TokenRequest | bytes,
    *,
    issuer_key: IssuerPublicKey | None = None,
) -> TokenResponse:
    """Blind-sign a TokenRequest. `TokenError` means reject with 422; pass `issuer_key` to
    skip recomputing the key id. `blindrsa.SigningFailure` is a server fault, not the client's."""
    if isinstance(request, bytes):
        request = TokenRequest.decode(request)
    if issuer_key is None:
        key = IssuerPublicKey.from_public_key(private_key.public_key())
    elif issuer_key.public_key.public_numbers() != private_key.public_key().public_numbers():
        raise KeyMismatch("issuer_key is not the public half of private_key")
    else:
        key = issuer_key
    if request.truncated_token_key_id != key.truncated_token_key_id:
        raise KeyMismatch(
            f"TokenRequest is for truncated key id 0x{request.truncated_token_key_id:02x}, "
            f"this issuer key is 0x{key.truncated_token_key_id:02x}"
        )
    try:
        blind_sig = blindrsa.blind_sign(private_key, request.blinded_msg)
    except blindrsa.InvalidInput as exc:
        raise MalformedMessage(f"TokenRequest.blinded_msg is unusable: {exc}") from exc
    return TokenResponse(blind_sig)


def verify_token(
    token: Token | bytes,
    issuer_key: IssuerKeyLike,
    challenge: TokenChallenge | bytes,
) -> Token:
    """Check a token against the issuer key and the challenge it must answer; return it parsed.

    The caller must still reject a `token.nonce` it has seen before.
    """
    if isinstance(token, bytes):
        token = Token.decode(token)
    key = _issuer_key(issuer_key)
    if not hmac.compare_digest(token.token_key_id, key.token_key_id):
        raise KeyMismatch("token was issued under a different issuer key")
    expected_digest = hashlib.sha256(_challenge_bytes(challenge)).digest()
    if not hmac.compare_digest(token.challenge_digest, expected_digest):
        raise InvalidToken("token answers a different challenge")
    try:
        blindrsa.verify(key.public_key, token.authenticator_input, token.authenticator, VARIANT)
    except blindrsa.InvalidSignature as exc:
        raise InvalidToken("token authenticator is not a valid issuer signature") from exc
    return token
