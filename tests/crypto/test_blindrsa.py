"""RFC 9474 blind RSA: every published vector byte for byte, failure modes, random round trips."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.crypto import blindrsa
from undersigned.crypto.blindrsa import (
    RSABSSA_SHA384_PSS_DETERMINISTIC,
    RSABSSA_SHA384_PSS_RANDOMIZED,
    RSABSSA_SHA384_PSSZERO_DETERMINISTIC,
    VARIANTS,
    BlindingError,
    EncodingError,
    InvalidInput,
    InvalidSignature,
    SigningFailure,
    UnexpectedInputSize,
    Variant,
)

VECTOR_FILE = Path(__file__).parent / "vectors" / "rfc9474-rsabssa.json"
VECTORS: dict[str, dict[str, str]] = json.loads(VECTOR_FILE.read_text())
VECTOR_NAMES = sorted(VECTORS)

# Hypothesis must not write an example database into the working tree.
ROUNDTRIP = settings(database=None, deadline=None, max_examples=30)


@functools.cache
def session_key() -> rsa.RSAPrivateKey:
    """One 2048-bit key for the whole session: generating keys is the slow part."""
    return blindrsa.generate_private_key(2048)


@functools.cache
def other_key() -> rsa.RSAPrivateKey:
    return blindrsa.generate_private_key(2048)


def vector_bytes(name: str, field: str) -> bytes:
    return bytes.fromhex(VECTORS[name][field])


def vector_int(name: str, field: str) -> int:
    return int(VECTORS[name][field], 16)


@functools.cache
def vector_key(name: str) -> rsa.RSAPrivateKey:
    p, q, d = vector_int(name, "p"), vector_int(name, "q"), vector_int(name, "d")
    public = rsa.RSAPublicNumbers(vector_int(name, "e"), vector_int(name, "n"))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    )
    return numbers.private_key()


def vector_prepared(name: str) -> bytes:
    variant = VARIANTS[name]
    prefix = vector_bytes(name, "msg_prefix") if variant.randomized else None
    return blindrsa.prepare(vector_bytes(name, "msg"), variant, msg_prefix=prefix)


def vector_blind(name: str) -> blindrsa.BlindResult:
    n = vector_int(name, "n")
    return blindrsa.blind(
        vector_key(name).public_key(),
        vector_prepared(name),
        VARIANTS[name],
        salt=vector_bytes(name, "salt"),
        blind_factor=pow(vector_int(name, "inv"), -1, n),  # the RFC publishes inv, not r
    )


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# --- published vectors ------------------------------------------------------------------------


def test_vectors_all_four_variants_loaded() -> None:
    assert sorted(VARIANTS) == VECTOR_NAMES
    assert len(VECTOR_NAMES) == 4


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_prepare_vector_matches(name: str) -> None:
    assert vector_prepared(name) == vector_bytes(name, "prepared_msg")


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_emsa_pss_encode_vector_matches(name: str) -> None:
    em_bits = vector_int(name, "n").bit_length() - 1
    encoded = blindrsa.emsa_pss_encode(
        vector_bytes(name, "prepared_msg"), em_bits, vector_bytes(name, "salt")
    )
    assert encoded == vector_bytes(name, "encoded_msg")


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_blind_vector_matches(name: str) -> None:
    result = vector_blind(name)
    assert result.blinded_msg == vector_bytes(name, "blinded_msg")
    assert result.inv == vector_int(name, "inv")


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_blind_sign_vector_matches(name: str) -> None:
    blind_sig = blindrsa.blind_sign(vector_key(name), vector_bytes(name, "blinded_msg"))
    assert blind_sig == vector_bytes(name, "blind_sig")


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_finalize_vector_matches(name: str) -> None:
    sig = blindrsa.finalize(
        vector_key(name).public_key(),
        vector_bytes(name, "prepared_msg"),
        vector_bytes(name, "blind_sig"),
        vector_int(name, "inv"),
        VARIANTS[name],
    )
    assert sig == vector_bytes(name, "sig")


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_verify_vector_signature_accepted(name: str) -> None:
    public_key = vector_key(name).public_key()
    prepared = vector_bytes(name, "prepared_msg")
    blindrsa.verify(
        public_key, prepared, vector_bytes(name, "sig"), VARIANTS[name]
    )  # raises if bad


@pytest.mark.parametrize("name", VECTOR_NAMES)
@pytest.mark.parametrize("index", [0, 100, -1])
def test_verify_vector_signature_tampered_rejected(name: str, index: int) -> None:
    sig = flip(vector_bytes(name, "sig"), index)
    with pytest.raises(InvalidSignature):
        blindrsa.verify(
            vector_key(name).public_key(), vector_bytes(name, "prepared_msg"), sig, VARIANTS[name]
        )


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_verify_vector_message_changed_rejected(name: str) -> None:
    with pytest.raises(InvalidSignature):
        blindrsa.verify(
            vector_key(name).public_key(),
            vector_bytes(name, "prepared_msg") + b"\x00",
            vector_bytes(name, "sig"),
            VARIANTS[name],
        )


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_finalize_vector_tampered_blind_sig_rejected(name: str) -> None:
    with pytest.raises(InvalidSignature):
        blindrsa.finalize(
            vector_key(name).public_key(),
            vector_bytes(name, "prepared_msg"),
            flip(vector_bytes(name, "blind_sig"), 7),
            vector_int(name, "inv"),
            VARIANTS[name],
        )


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_load_private_key_vector_pem_and_der_equal(name: str) -> None:
    key = vector_key(name)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert blindrsa.load_private_key(pem).private_numbers() == key.private_numbers()
    assert blindrsa.load_private_key(der).private_numbers() == key.private_numbers()


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_load_public_key_pss_spki_roundtrip(name: str) -> None:
    public_key = vector_key(name).public_key()
    spki = blindrsa.encode_pss_spki(public_key, VARIANTS[name])
    assert blindrsa.load_public_key(spki).public_numbers() == public_key.public_numbers()


# --- failure modes ----------------------------------------------------------------------------


def test_variants_salt_lengths_match_rfc() -> None:
    salts = {name: variant.salt_length for name, variant in VARIANTS.items()}
    assert salts == {
        "RSABSSA-SHA384-PSS-Randomized": 48,
        "RSABSSA-SHA384-PSSZERO-Randomized": 0,
        "RSABSSA-SHA384-PSS-Deterministic": 48,
        "RSABSSA-SHA384-PSSZERO-Deterministic": 0,
    }


def test_blind_sign_blinded_msg_equal_to_n_rejected() -> None:
    key = session_key()
    n = key.public_key().public_numbers().n
    with pytest.raises(InvalidInput, match="must be < n"):
        blindrsa.blind_sign(key, n.to_bytes(256, "big"))


def test_blind_sign_blinded_msg_all_ones_rejected() -> None:
    with pytest.raises(InvalidInput, match="out of range"):
        blindrsa.blind_sign(session_key(), b"\xff" * 256)


@pytest.mark.parametrize("length", [0, 1, 255, 257, 512])
def test_blind_sign_wrong_length_rejected(length: int) -> None:
    with pytest.raises(UnexpectedInputSize, match="256 bytes"):
        blindrsa.blind_sign(session_key(), b"\x01" * length)


def test_blind_sign_crt_fault_not_released(monkeypatch: pytest.MonkeyPatch) -> None:
    real = blindrsa._rsasp1_crt

    def faulty(numbers: rsa.RSAPrivateNumbers, c: int) -> int:
        return real(numbers, c) + 1

    monkeypatch.setattr(blindrsa, "_rsasp1_crt", faulty)
    with pytest.raises(SigningFailure, match="s\\^e == m"):
        blindrsa.blind_sign(session_key(), b"\x00" + b"\x42" * 255)


@pytest.mark.parametrize("length", [0, 255, 257])
def test_finalize_wrong_length_rejected(length: int) -> None:
    public_key = session_key().public_key()
    with pytest.raises(UnexpectedInputSize):
        blindrsa.finalize(public_key, b"m", b"\x01" * length, 1, RSABSSA_SHA384_PSS_RANDOMIZED)


def test_finalize_blind_sig_not_below_n_rejected() -> None:
    public_key = session_key().public_key()
    with pytest.raises(InvalidSignature, match="smaller than the modulus"):
        blindrsa.finalize(public_key, b"m", b"\xff" * 256, 1, RSABSSA_SHA384_PSS_RANDOMIZED)


def test_finalize_response_signed_by_other_key_rejected() -> None:
    variant = RSABSSA_SHA384_PSS_DETERMINISTIC
    result = blindrsa.blind(session_key().public_key(), b"message", variant)
    # Reduce mod the other modulus so the wrong server can sign it at all.
    other_n = other_key().public_key().public_numbers().n
    reduced = (int.from_bytes(result.blinded_msg, "big") % other_n).to_bytes(256, "big")
    blind_sig = blindrsa.blind_sign(other_key(), reduced)
    with pytest.raises(InvalidSignature):
        blindrsa.finalize(session_key().public_key(), b"message", blind_sig, result.inv, variant)


def test_verify_wrong_key_rejected() -> None:
    variant = RSABSSA_SHA384_PSS_DETERMINISTIC
    sig = sign_roundtrip(session_key(), b"message", variant)
    with pytest.raises(InvalidSignature):
        blindrsa.verify(other_key().public_key(), b"message", sig, variant)


def test_verify_other_variant_rejected() -> None:
    sig = sign_roundtrip(session_key(), b"message", RSABSSA_SHA384_PSS_DETERMINISTIC)
    with pytest.raises(InvalidSignature):
        blindrsa.verify(
            session_key().public_key(), b"message", sig, RSABSSA_SHA384_PSSZERO_DETERMINISTIC
        )


@pytest.mark.parametrize("length", [0, 255, 257])
def test_verify_wrong_length_rejected(length: int) -> None:
    with pytest.raises(InvalidSignature, match="256 bytes"):
        blindrsa.verify(
            session_key().public_key(), b"m", b"\x01" * length, RSABSSA_SHA384_PSS_DETERMINISTIC
        )


@pytest.mark.parametrize("salt", [b"", b"\x00" * 47, b"\x00" * 49])
def test_blind_wrong_salt_length_rejected(salt: bytes) -> None:
    with pytest.raises(InvalidInput, match="48-byte salt"):
        blindrsa.blind(
            session_key().public_key(), b"m", RSABSSA_SHA384_PSS_DETERMINISTIC, salt=salt
        )


def test_blind_factor_out_of_range_rejected() -> None:
    public_key = session_key().public_key()
    n = public_key.public_numbers().n
    for r in (0, -1, n, n + 1):
        with pytest.raises(InvalidInput, match="1 <= r < n"):
            blindrsa.blind(public_key, b"m", RSABSSA_SHA384_PSS_DETERMINISTIC, blind_factor=r)


def test_blind_factor_sharing_prime_raises_blinding_error() -> None:
    key = session_key()
    p = key.private_numbers().p
    with pytest.raises(BlindingError, match="retry"):
        blindrsa.blind(key.public_key(), b"m", RSABSSA_SHA384_PSS_DETERMINISTIC, blind_factor=p)


def test_blind_encoded_message_not_coprime_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    key = session_key()
    p = key.private_numbers().p
    monkeypatch.setattr(blindrsa, "emsa_pss_encode", lambda *_: p.to_bytes(256, "big"))
    with pytest.raises(InvalidInput, match="coprime"):
        blindrsa.blind(key.public_key(), b"m", RSABSSA_SHA384_PSS_DETERMINISTIC)


def test_finalize_inv_out_of_range_rejected() -> None:
    public_key = session_key().public_key()
    n = public_key.public_numbers().n
    for inv in (0, n):
        with pytest.raises(InvalidInput, match="1 <= inv < n"):
            blindrsa.finalize(public_key, b"m", b"\x01" * 256, inv, RSABSSA_SHA384_PSS_RANDOMIZED)


def test_blind_result_repr_hides_inv() -> None:
    result = blindrsa.blind(session_key().public_key(), b"m", RSABSSA_SHA384_PSS_DETERMINISTIC)
    assert repr(result) == "BlindResult(blinded_msg=<256 bytes>, inv=<secret>)"


def test_emsa_pss_encode_too_small_raises_encoding_error() -> None:
    with pytest.raises(EncodingError):
        blindrsa.emsa_pss_encode(b"m", 8 * 97, b"\x00" * 48)


@pytest.mark.parametrize("prefix", [b"", b"\x00" * 31, b"\x00" * 33])
def test_prepare_wrong_prefix_length_rejected(prefix: bytes) -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        blindrsa.prepare(b"m", RSABSSA_SHA384_PSS_RANDOMIZED, msg_prefix=prefix)


def test_prepare_prefix_for_deterministic_rejected() -> None:
    with pytest.raises(InvalidInput, match="PrepareIdentity"):
        blindrsa.prepare(b"m", RSABSSA_SHA384_PSS_DETERMINISTIC, msg_prefix=b"\x00" * 32)


def test_prepare_randomized_prefix_fresh() -> None:
    first = blindrsa.prepare(b"msg", RSABSSA_SHA384_PSS_RANDOMIZED)
    second = blindrsa.prepare(b"msg", RSABSSA_SHA384_PSS_RANDOMIZED)
    assert len(first) == 35
    assert first[32:] == b"msg"
    assert first != second


def test_generate_private_key_small_size_rejected() -> None:
    with pytest.raises(InvalidInput, match="minimum of 2048"):
        blindrsa.generate_private_key(1024)


def test_load_public_key_1024_bit_rejected() -> None:
    # The weak size is the point: the loader must refuse it.
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505
    der = small.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidInput, match="at least 2048"):
        blindrsa.load_public_key(der)


def test_load_public_key_pem_accepted() -> None:
    public_key = session_key().public_key()
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert blindrsa.load_public_key(pem).public_numbers() == public_key.public_numbers()


@pytest.mark.parametrize("data", [b"", b"garbage", b"-----BEGIN PUBLIC KEY-----\nAAAA\n"])
def test_load_public_key_garbage_rejected(data: bytes) -> None:
    with pytest.raises(InvalidInput, match="cannot load public key"):
        blindrsa.load_public_key(data)


def test_load_private_key_garbage_rejected() -> None:
    with pytest.raises(InvalidInput, match="cannot load private key"):
        blindrsa.load_private_key(b"\x30\x03\x02\x01\x00")


def test_load_private_key_ec_rejected() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(InvalidInput, match="expected an RSA private key"):
        blindrsa.load_private_key(pem)


# --- random round trips -----------------------------------------------------------------------


def sign_roundtrip(key: rsa.RSAPrivateKey, prepared: bytes, variant: Variant) -> bytes:
    result = blindrsa.blind(key.public_key(), prepared, variant)
    blind_sig = blindrsa.blind_sign(key, result.blinded_msg)
    return blindrsa.finalize(key.public_key(), prepared, blind_sig, result.inv, variant)


@ROUNDTRIP
@given(msg=st.binary(max_size=1024), variant=st.sampled_from(sorted(VARIANTS.values(), key=str)))
def test_roundtrip_random_message_verifies(msg: bytes, variant: Variant) -> None:
    key = session_key()
    prepared = blindrsa.prepare(msg, variant)
    sig = sign_roundtrip(key, prepared, variant)
    assert len(sig) == 256
    blindrsa.verify(key.public_key(), prepared, sig, variant)  # raises if bad


@ROUNDTRIP
@given(msg=st.binary(min_size=1, max_size=256), data=st.data())
def test_roundtrip_flipped_signature_byte_rejected(msg: bytes, data: Any) -> None:
    key = session_key()
    variant = RSABSSA_SHA384_PSS_DETERMINISTIC
    sig = sign_roundtrip(key, msg, variant)
    index = data.draw(st.integers(min_value=0, max_value=len(sig) - 1))
    with pytest.raises(InvalidSignature):
        blindrsa.verify(key.public_key(), msg, flip(sig, index), variant)


@ROUNDTRIP
@given(data=st.data())
def test_blind_sign_any_value_at_least_n_rejected(data: Any) -> None:
    key = session_key()
    n = key.public_key().public_numbers().n
    value = data.draw(st.integers(min_value=n, max_value=2**2048 - 1))
    with pytest.raises(InvalidInput):
        blindrsa.blind_sign(key, value.to_bytes(256, "big"))


@ROUNDTRIP
@given(msg=st.binary(max_size=256))
def test_roundtrip_blinded_msg_differs_each_time(msg: bytes) -> None:
    public_key = session_key().public_key()
    variant = RSABSSA_SHA384_PSSZERO_DETERMINISTIC
    first = blindrsa.blind(public_key, msg, variant)
    second = blindrsa.blind(public_key, msg, variant)
    # Even with no salt, fresh blinding factors make the server's view unlinkable.
    assert first.blinded_msg != second.blinded_msg
