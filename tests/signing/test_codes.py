from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.signing import codes


def test_verification_code_is_eight_digits_and_stable_for_a_nonce() -> None:
    nonce = codes.new_nonce()

    first, second = codes.verification_code(nonce), codes.verification_code(nonce)

    assert (len(first), first.isdigit(), first == second) == (8, True, True)


def test_verification_code_depends_on_secret_key(settings: object) -> None:
    nonce = "0" * 32
    before = codes.verification_code(nonce)
    settings.SECRET_KEY = "another-secret-key-that-is-long-enough-0123456789"  # type: ignore[attr-defined]

    assert codes.verification_code(nonce) != before


def test_invite_code_normalizes_case_spaces_and_dashes() -> None:
    code = codes.new_invite_code()
    compact = code.replace("-", "")

    typed = " " + code.lower().replace("-", " - ") + " "

    assert codes.normalize_invite_code(typed) == compact


def test_invite_code_is_grouped_from_unambiguous_alphabet() -> None:
    code = codes.new_invite_code()

    groups = code.split("-")

    assert [len(g) for g in groups] == [4, 4, 4]
    assert set("".join(groups)) - set(codes.INVITE_ALPHABET) == set()
    assert set("01IOLU") & set(codes.INVITE_ALPHABET) == set()


def test_invite_code_with_foreign_characters_is_refused() -> None:
    assert codes.normalize_invite_code("ABCD-EFGH-JK0O") is None
    assert codes.normalize_invite_code("ABCD") is None


def test_receipt_commitment_is_sha256_hex() -> None:
    assert codes.receipt_lookup_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_signature_link_token_names_its_signature_for_its_purpose_only() -> None:
    token = codes.signature_link_token(42, "unsubscribe")
    assert (
        codes.signature_link_id(token, "unsubscribe"),
        codes.signature_link_id(token, "reconfirm"),
        codes.signature_link_id(token.replace("42.", "43.", 1), "unsubscribe"),
        codes.signature_link_id(token[:-1], "unsubscribe"),
    ) == (42, None, None, None)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_signature_link_id_of_any_text_is_none_and_never_raises(text: str) -> None:
    assert codes.signature_link_id(text, "unsubscribe") is None
