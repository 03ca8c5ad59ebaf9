from __future__ import annotations

import hashlib
import hmac

import pytest
from django.core.exceptions import ValidationError

from undersigned.signing import mailbox


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("  Ana.Lima@Example.ORG ", "ana.lima@example.org"),
        ("ana+letters@example.org", "ana@example.org"),
        ("ana+a+b@example.org", "ana@example.org"),
        ("ana@Exa\u0308mple.org", "ana@xn--exmple-cua.org"),
    ],
)
def test_normalize_mailbox_policy(typed: str, normalized: str) -> None:
    assert mailbox.normalize_mailbox(mailbox.clean_address(typed)) == normalized


@pytest.mark.parametrize(
    "bad", ["", "ana", "ana@", "@example.org", "a b@example.org", "ana@@example.org", "x" * 300]
)
def test_clean_address_refuses_malformed(bad: str) -> None:
    with pytest.raises(ValidationError):
        mailbox.clean_address(bad)


def test_clean_address_refuses_bidi_controls() -> None:
    with pytest.raises(ValidationError) as caught:
        mailbox.clean_address("ana\u202e@example.org")

    assert caught.value.code == "bidi"


def test_check_domain_subdomain_not_allowed_unless_listed() -> None:
    with pytest.raises(ValidationError) as caught:
        mailbox.check_domain("ana@mail.example.org", ["example.org"])

    assert caught.value.code == "wrong_domain"
    mailbox.check_domain("ana@mail.example.org", ["example.org", "mail.example.org"])


def test_mailbox_hash_is_hmac_sha256_of_normalized_mailbox() -> None:
    key = b"k" * 32

    assert (
        mailbox.mailbox_hash(key=key, mailbox="ana@example.org")
        == hmac.new(key, b"ana@example.org", hashlib.sha256).hexdigest()
    )


def test_encrypted_address_round_trips_and_hides_plaintext() -> None:
    token = mailbox.encrypt_address("ana@example.org")

    assert (b"ana@example.org" in token, mailbox.decrypt_address(token)) == (
        False,
        "ana@example.org",
    )


def test_normalize_mailbox_unicode_domain_matches_stored_idna_form() -> None:
    normalized = mailbox.normalize_mailbox("Ana+letters@Bücher.Example")

    assert normalized == "ana@xn--bcher-kva.example"
    mailbox.check_domain(normalized, ["xn--bcher-kva.example"])
