"""RSA blind signatures, RFC 9474 (RSABSSA with SHA-384, PSS and PSSZERO encodings).

The client calls `prepare`, `blind` and `finalize`; the server calls `blind_sign`; anyone holding
the public key calls `verify`. Key handling and the final RSASSA-PSS verification are delegated to
the `cryptography` package; the blinding arithmetic, which `cryptography` does not expose, is
done here with Python integers.

The optional `msg_prefix`, `salt` and `blind_factor` arguments exist only so that the published
test vectors can be reproduced. Production callers leave them out: RFC 9474 section 7.4 warns
that caller-chosen values can smuggle information (a tracking tag in the salt, say) past the
blinding, so the defaults are drawn from `secrets`.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "RSABSSA_SHA384_PSSZERO_DETERMINISTIC",
    "RSABSSA_SHA384_PSSZERO_RANDOMIZED",
    "RSABSSA_SHA384_PSS_DETERMINISTIC",
    "RSABSSA_SHA384_PSS_RANDOMIZED",
    "VARIANTS",
    "BlindResult",
    "BlindSignatureError",
    "BlindingError",
    "EncodingError",
    "InvalidInput",
    "InvalidSignature",
    "SigningFailure",
    "UnexpectedInputSize",
    "Variant",
    "blind",
    "blind_sign",
    "emsa_pss_encode",
    "encode_pss_spki",
    "finalize",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "modulus_len",
    "prepare",
    "verify",
]

HASH_LEN = 48  # SHA-384
PREFIX_LEN = 32  # RFC 9474 section 4.1, PrepareRandomize
MIN_MODULUS_BITS = 2048
PUBLIC_EXPONENT = 65537


class BlindSignatureError(Exception):
    """Base class for every failure raised by this module."""


class InvalidInput(BlindSignatureError, ValueError):
    """An argument (key, message, blinded message, injected randomness) is unusable."""


class UnexpectedInputSize(InvalidInput):
    """A byte string does not have the length the key's modulus implies."""


class EncodingError(BlindSignatureError):
    """EMSA-PSS encoding is impossible, e.g. the modulus is too small for hash plus salt."""


class BlindingError(BlindSignatureError):
    """The blinding factor has no inverse mod n; retrying with a fresh factor is safe."""


class SigningFailure(BlindSignatureError):
    """The private-key operation produced a wrong result (fault, or key inconsistency)."""


class InvalidSignature(BlindSignatureError):
    """The signature does not verify for this message under this public key."""


@dataclass(frozen=True)
class Variant:
    """A named RSABSSA variant (RFC 9474 section 5); all use SHA-384 and MGF1-SHA-384."""

    name: str
    salt_length: int
    randomized: bool


RSABSSA_SHA384_PSS_RANDOMIZED = Variant("RSABSSA-SHA384-PSS-Randomized", HASH_LEN, True)
RSABSSA_SHA384_PSSZERO_RANDOMIZED = Variant("RSABSSA-SHA384-PSSZERO-Randomized", 0, True)
RSABSSA_SHA384_PSS_DETERMINISTIC = Variant("RSABSSA-SHA384-PSS-Deterministic", HASH_LEN, False)
RSABSSA_SHA384_PSSZERO_DETERMINISTIC = Variant("RSABSSA-SHA384-PSSZERO-Deterministic", 0, False)

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        RSABSSA_SHA384_PSS_RANDOMIZED,
        RSABSSA_SHA384_PSSZERO_RANDOMIZED,
        RSABSSA_SHA384_PSS_DETERMINISTIC,
        RSABSSA_SHA384_PSSZERO_DETERMINISTIC,
    )
}


@dataclass(frozen=True, repr=False)
class BlindResult:
    """Output of `blind`: send `blinded_msg` to the server, keep `inv` secret for `finalize`."""

    blinded_msg: bytes
    inv: int

    def __repr__(self) -> str:
        # `inv` unblinds the signature and would link issuance to redemption if it leaked.
        return f"BlindResult(blinded_msg=<{len(self.blinded_msg)} bytes>, inv=<secret>)"


# --- keys -------------------------------------------------------------------------------------


def generate_private_key(key_size: int = MIN_MODULUS_BITS) -> rsa.RSAPrivateKey:
    """Generate a fresh RSA key (e = 65537) for use with exactly one RSABSSA variant."""
    if key_size < MIN_MODULUS_BITS:
        raise InvalidInput(f"key_size {key_size} is below the minimum of {MIN_MODULUS_BITS} bits")
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=key_size)


def load_private_key(data: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM or DER (PKCS#8 or PKCS#1)."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password=password)
        else:
            key = serialization.load_der_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidInput(f"cannot load private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput(f"expected an RSA private key, got {type(key).__name__}")
    _public_numbers(key.public_key())
    return key


def load_public_key(data: bytes) -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM or DER SPKI (rsaEncryption or id-RSASSA-PSS OID)."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidInput(f"cannot load public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidInput(f"expected an RSA public key, got {type(key).__name__}")
    _public_numbers(key)
    return key


def encode_pss_spki(public_key: rsa.RSAPublicKey, variant: Variant) -> bytes:
    """DER SubjectPublicKeyInfo with the id-RSASSA-PSS OID and this variant's parameters.

    RFC 9474 section 6 forbids publishing the key under rsaEncryption, and binding the
    parameters into the key stops it being reused with another variant.
    """
    _public_numbers(public_key)
    rsa_public_key = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    bit_string = b"\x03" + _der_length(len(rsa_public_key) + 1) + b"\x00" + rsa_public_key
    body = _pss_algorithm_id(variant.salt_length) + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _pss_algorithm_id(salt_length: int) -> bytes:
    # AlgorithmIdentifier { id-RSASSA-PSS, { sha384, mgf1(sha384), saltLength } } in DER, byte
    # for byte as in the RFC 9578 test vectors (hash parameters absent, not NULL).
    return bytes.fromhex(
        "303d06092a864886f70d01010a3030a00d300b0609608648016503040202"
        "a11a301806092a864886f70d010108300b0609608648016503040202a2030201"
    ) + bytes([salt_length])


def _der_length(n: int) -> bytes:
    if n < 0x80:  # short form
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def modulus_len(public_key: rsa.RSAPublicKey) -> int:
    """Length in bytes of the modulus: the size of blinded messages and signatures."""
    return (public_key.key_size + 7) // 8


def _public_numbers(public_key: rsa.RSAPublicKey) -> tuple[int, int]:
    numbers = public_key.public_numbers()
    return _check_public(numbers.n, numbers.e)


def _check_public(n: int, e: int) -> tuple[int, int]:
    if n.bit_length() < MIN_MODULUS_BITS:
        raise InvalidInput(
            f"RSA modulus has {n.bit_length()} bits; at least {MIN_MODULUS_BITS} are required"
        )
    if e < 3 or e % 2 == 0:
        raise InvalidInput(f"RSA public exponent {e} is not an odd integer >= 3")
    return n, e


def _i2osp(x: int, length: int) -> bytes:
    return x.to_bytes(length, "big")


def _os2ip(data: bytes) -> int:
    return int.from_bytes(data, "big")


# --- client side ------------------------------------------------------------------------------


def prepare(msg: bytes, variant: Variant, *, msg_prefix: bytes | None = None) -> bytes:
    """Return the message actually signed: `msg`, or 32 random bytes + `msg` if randomized."""
    if not variant.randomized:
        if msg_prefix is not None:
            raise InvalidInput(f"{variant.name} uses PrepareIdentity; msg_prefix must be None")
        return msg
    if msg_prefix is None:
        msg_prefix = secrets.token_bytes(PREFIX_LEN)
    elif len(msg_prefix) != PREFIX_LEN:
        raise InvalidInput(f"msg_prefix must be {PREFIX_LEN} bytes, got {len(msg_prefix)}")
    return msg_prefix + msg


def _mgf1_sha384(seed: bytes, length: int) -> bytes:
    out = bytearray()
    for counter in range(math.ceil(length / HASH_LEN)):
        out += hashlib.sha384(seed + counter.to_bytes(4, "big")).digest()
    return bytes(out[:length])


def emsa_pss_encode(msg: bytes, em_bits: int, salt: bytes) -> bytes:
    """EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with SHA-384 and MGF1-SHA-384."""
    em_len = (em_bits + 7) // 8
    if em_len < HASH_LEN + len(salt) + 2:
        raise EncodingError(
            f"an encoded message of {em_bits} bits cannot hold a {HASH_LEN}-byte hash "
            f"and a {len(salt)}-byte salt"
        )
    m_hash = hashlib.sha384(msg).digest()
    h = hashlib.sha384(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - HASH_LEN - 2) + b"\x01" + salt
    masked = bytearray(a ^ b for a, b in zip(db, _mgf1_sha384(h, len(db)), strict=True))
    # Clearing the excess top bits keeps the encoded integer below the modulus.
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    return bytes(masked) + h + b"\xbc"


def blind(
    public_key: rsa.RSAPublicKey,
    prepared_msg: bytes,
    variant: Variant,
    *,
    salt: bytes | None = None,
    blind_factor: int | None = None,
) -> BlindResult:
    """RFC 9474 Blind: PSS-encode `prepared_msg` and blind it with a random factor r."""
    n, e = _public_numbers(public_key)
    if salt is None:
        salt = secrets.token_bytes(variant.salt_length)
    elif len(salt) != variant.salt_length:
        raise InvalidInput(
            f"{variant.name} needs a {variant.salt_length}-byte salt, got {len(salt)} bytes"
        )
    # RSASSA-PSS works on emBits = modBits - 1 (RFC 8017 section 8.1.1), so the encoded
    # integer is always smaller than n; verifiers use the same value.
    encoded = emsa_pss_encode(prepared_msg, n.bit_length() - 1, salt)
    m = _os2ip(encoded)
    if math.gcd(m, n) != 1:
        raise InvalidInput("encoded message is not coprime with the modulus: the key is bogus")
    if blind_factor is None:
        r = 1 + secrets.randbelow(n - 1)
    elif 1 <= blind_factor < n:
        r = blind_factor
    else:
        raise InvalidInput("blind_factor must satisfy 1 <= r < n")
    try:
        inv = pow(r, -1, n)
    except ValueError as exc:
        raise BlindingError("blinding factor is not invertible mod n; retry blind()") from exc
    z = (m * pow(r, e, n)) % n
    return BlindResult(blinded_msg=_i2osp(z, modulus_len(public_key)), inv=inv)


def finalize(
    public_key: rsa.RSAPublicKey,
    prepared_msg: bytes,
    blind_sig: bytes,
    inv: int,
    variant: Variant,
) -> bytes:
    """RFC 9474 Finalize: unblind the server's answer and verify it; return the signature."""
    n, _ = _public_numbers(public_key)
    k = modulus_len(public_key)
    if len(blind_sig) != k:
        raise UnexpectedInputSize(f"blind_sig must be {k} bytes, got {len(blind_sig)}")
    z = _os2ip(blind_sig)
    if z >= n:
        # RFC 9474 lets this fall through to a failed verification; say why up front.
        raise InvalidSignature("blind_sig is not smaller than the modulus: not from this key")
    if not 1 <= inv < n:
        raise InvalidInput("inv must satisfy 1 <= inv < n")
    sig = _i2osp((z * inv) % n, k)
    try:
        verify(public_key, prepared_msg, sig, variant)
    except InvalidSignature as exc:
        raise InvalidSignature(
            "the server's blind signature does not unblind to a valid signature "
            "(wrong key, tampered response, or mismatched blinding state)"
        ) from exc
    return sig


def verify(public_key: rsa.RSAPublicKey, prepared_msg: bytes, sig: bytes, variant: Variant) -> None:
    """RSASSA-PSS-VERIFY of `sig` over `prepared_msg`; raise `InvalidSignature` on failure."""
    _public_numbers(public_key)
    k = modulus_len(public_key)
    if len(sig) != k:
        raise InvalidSignature(f"signature must be {k} bytes, got {len(sig)}")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=variant.salt_length)
    try:
        public_key.verify(sig, prepared_msg, pss, hashes.SHA384())
    except _CryptographyInvalidSignature as exc:
        raise InvalidSignature(f"signature does not verify under {variant.name}") from exc


# --- server side ------------------------------------------------------------------------------


def blind_sign(private_key: rsa.RSAPrivateKey, blinded_msg: bytes) -> bytes:
    """RFC 9474 BlindSign: raw RSA private operation on a blinded message, fault-checked."""
    numbers = private_key.private_numbers()
    n, e = _check_public(numbers.public_numbers.n, numbers.public_numbers.e)
    k = (n.bit_length() + 7) // 8
    if len(blinded_msg) != k:
        raise UnexpectedInputSize(f"blinded_msg must be {k} bytes, got {len(blinded_msg)}")
    m = _os2ip(blinded_msg)
    if m >= n:
        raise InvalidInput("message representative out of range: blinded_msg must be < n")

    # Python's big-integer pow is not constant time. Multiplying the input by a fresh r^e
    # (RSA blinding, Kocher 1996 section 10) makes the base of each exponentiation unrelated
    # to what the requester chose, so timing no longer correlates with attacker input.
    r = 1 + secrets.randbelow(n - 1)
    try:
        r_inv = pow(r, -1, n)
    except ValueError as exc:
        # Only possible if r shares a factor with n, i.e. by factoring n by luck.
        raise SigningFailure("input blinding factor is not invertible mod n") from exc
    s = (_rsasp1_crt(numbers, (m * pow(r, e, n)) % n) * r_inv) % n

    # A faulty CRT half would let the requester factor n from one bad signature (Boneh,
    # DeMillo, Lipton 1997), so never release a result that fails to verify.
    if pow(s, e, n) != m:
        raise SigningFailure("RSA private operation failed its s^e == m check; not releasing it")
    return _i2osp(s, k)


def _rsasp1_crt(numbers: rsa.RSAPrivateNumbers, c: int) -> int:
    p, q = numbers.p, numbers.q
    s_p = pow(c % p, numbers.dmp1, p)
    s_q = pow(c % q, numbers.dmq1, q)
    return s_q + q * ((numbers.iqmp * (s_p - s_q)) % p)
