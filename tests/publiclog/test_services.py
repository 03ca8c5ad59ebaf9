from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tests.publiclog.helpers import sign
from tests.support.factories import make_letter
from undersigned.crypto import logentries
from undersigned.crypto.merkle import EMPTY_ROOT, leaf_hash
from undersigned.crypto.note import (
    CosignatureSigner,
    add_signatures,
    open_checkpoint,
    parse_note,
    verifier_from_vkey,
)
from undersigned.letters.versions import letter_text_hash
from undersigned.publiclog import services
from undersigned.publiclog.models import Entry, EntryKind, LogState, PendingEntry
from undersigned.publiclog.sequencer import log_sequence
from undersigned.signing.models import IssuanceKey, Signature

pytestmark = pytest.mark.django_db


def _pending(letter_id: int) -> list[tuple[str, list[int]]]:
    rows = PendingEntry.objects.filter(letter_id=letter_id).order_by("id")
    return [(row.kind, row.targets) for row in rows]


def test_log_open_creates_key_origin_and_genesis() -> None:
    letter = make_letter("open-me", domains=["example.org", "corp.example"])
    state = services.log_open(letter=letter)
    assert state.origin == "testserver/l/open-me/log"
    assert verifier_from_vkey(state.vkey).name == state.origin
    checkpoint, _ = open_checkpoint(state.checkpoint, verifier_from_vkey(state.vkey))
    assert (checkpoint.size, checkpoint.root_hash) == (0, EMPTY_ROOT)
    row = PendingEntry.objects.get(letter=letter)
    assert json.loads(bytes(row.data)) == {
        "type": "letter",
        "format": "undersigned-log/1",
        "date": timezone.localdate().isoformat(),
        "text_hash": letter_text_hash(letter=letter),
        "domains": ["corp.example", "example.org"],
        "issuance_key": None,
        "token_challenge": None,
    }


def test_log_open_twice_keeps_one_log() -> None:
    letter = make_letter()
    first = services.log_open(letter=letter)
    second = services.log_open(letter=letter)
    assert (second.pk, second.vkey) == (first.pk, first.vkey)
    assert _pending(letter.pk) == [(EntryKind.LETTER, [])]


def test_letter_text_hash_changes_with_the_text() -> None:
    letter = make_letter()
    before = letter_text_hash(letter=letter)
    letter.texts.update(body="Another text")
    assert letter_text_hash(letter=letter) != before


def test_enqueue_signature_opens_the_log_first() -> None:
    letter = make_letter()
    sign(letter)
    assert _pending(letter.pk) == [(EntryKind.LETTER, []), (EntryKind.SIGNATURE, [])]


def test_enqueue_signature_entry_binds_fields_without_showing_them() -> None:
    letter = make_letter()
    signed = sign(letter, "public", name="Ada Lovelace", title="Engineer", location="London")
    data = signed.receipt.entry
    fields = {"name": "Ada Lovelace", "title": "Engineer", "department": "", "location": "London"}
    salt = logentries.fields_salt(signed.secret)
    assert json.loads(data) == {
        "type": "signature",
        "tier": "public",
        "date": timezone.localdate().isoformat(),
        "commitment": logentries.receipt_commitment(signed.secret),
        "fields_hash": logentries.fields_hash(salt, fields),
    }
    assert b"Ada" not in data
    assert signed.receipt.leaf_hash == leaf_hash(data)
    row = PendingEntry.objects.get(kind=EntryKind.SIGNATURE)
    assert (bytes(row.data or b""), row.leaf_hash) == (data, leaf_hash(data).hex())


def test_enqueue_signature_counted_tier_has_no_fields_hash() -> None:
    signed = sign(make_letter(), "counted", department="Sales")
    assert logentries.parse_entry(signed.receipt.entry).fields_hash is None


def test_receipt_as_dict_has_the_api_keys() -> None:
    letter = make_letter("receipts")
    signed = sign(letter)
    assert signed.receipt.as_dict() == {
        "entry": signed.receipt.entry.decode(),
        "leaf_hash": leaf_hash(signed.receipt.entry).hex(),
        "log_url": "http://testserver/l/receipts/log/",
    }


def test_enqueue_signature_rolls_back_with_the_callers_transaction() -> None:
    letter = make_letter()

    def sign_then_fail() -> None:
        with transaction.atomic():
            sign(letter)
            raise RuntimeError("the signature fails after its entry was queued")

    with pytest.raises(RuntimeError):
        sign_then_fail()
    assert (Signature.objects.count(), PendingEntry.objects.count()) == (0, 0)
    assert LogState.objects.count() == 0


def test_enqueue_withdrawal_queues_the_signature_as_target() -> None:
    letter = make_letter()
    signed = sign(letter)
    services.log_enqueue_withdrawal(
        letter_id=signed.signature.letter_id,
        signature_id=signed.signature.pk,
        on=signed.signature.withdrawn_on,
    )
    assert _pending(letter.pk)[-1] == (EntryKind.WITHDRAWAL, [signed.signature.pk])


def test_enqueue_invalidation_splits_large_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logentries, "MAX_INVALIDATION_INDEXES", 2)
    letter = make_letter()
    signatures = [sign(letter).signature for _ in range(5)]
    queued = services.log_enqueue_invalidation(
        letter_id=letter.pk, signature_ids=[s.pk for s in signatures], reason="Spam from one bot"
    )
    ids = sorted(s.pk for s in signatures)
    assert queued == 3
    assert _pending(letter.pk)[-3:] == [
        (EntryKind.INVALIDATION, ids[0:2]),
        (EntryKind.INVALIDATION, ids[2:4]),
        (EntryKind.INVALIDATION, ids[4:5]),
    ]


@pytest.mark.parametrize("reason", ["", "   ", "evil \u202e text", "x" * 501])
def test_enqueue_invalidation_refuses_a_bad_reason(reason: str) -> None:
    letter = make_letter()
    signature = sign(letter).signature
    with pytest.raises(ValidationError):
        services.log_enqueue_invalidation(
            letter_id=signature.letter_id, signature_ids=[signature.pk], reason=reason
        )
    assert _pending(letter.pk)[-1][0] == EntryKind.SIGNATURE


def _witness(name: str = "witness.example/w1") -> CosignatureSigner:
    return CosignatureSigner(name, Ed25519PrivateKey.generate(), clock=lambda: 1_700_000_000)


def _cosignature_line(checkpoint: str, witness: CosignatureSigner) -> str:
    _, sigs = parse_note(add_signatures(checkpoint, [witness]))
    return sigs[-1].line


def test_log_cosign_adds_a_verified_witness_cosignature(settings: object) -> None:
    witness = _witness()
    settings.LOG_WITNESSES = [witness.verifier().vkey]  # type: ignore[attr-defined]
    letter = make_letter()
    state = services.log_open(letter=letter)
    new = services.log_cosign(
        letter=letter, cosignatures=_cosignature_line(state.checkpoint, witness)
    )
    _, note = open_checkpoint(new, verifier_from_vkey(state.vkey), witnesses=[witness.verifier()])
    assert [s.name for s in note.signatures] == [state.origin, "witness.example/w1"]
    assert LogState.objects.get(letter=letter).checkpoint == new


def test_log_cosign_refuses_unknown_witnesses_and_stale_checkpoints(settings: object) -> None:
    witness, stranger = _witness(), _witness("stranger.example/w")
    settings.LOG_WITNESSES = [witness.verifier().vkey]  # type: ignore[attr-defined]
    letter = make_letter()
    old = services.log_open(letter=letter).checkpoint
    with pytest.raises(services.CosignatureRejected, match="not a witness"):
        services.log_cosign(letter=letter, cosignatures=_cosignature_line(old, stranger))
    log_sequence(letter_id=letter.pk)
    with pytest.raises(services.CosignatureRejected, match="does not verify"):
        services.log_cosign(letter=letter, cosignatures=_cosignature_line(old, witness))
    with pytest.raises(services.CosignatureRejected, match="not signature lines"):
        services.log_cosign(letter=letter, cosignatures="hello")
    assert LogState.objects.get(letter=letter).checkpoint.count("\u2014") == 1


def _genesis_body(letter_id: int) -> dict[str, object]:
    row = PendingEntry.objects.filter(letter_id=letter_id, kind=EntryKind.LETTER).first()
    data = bytes(row.data or b"") if row else bytes(Entry.objects.get(index=0).data)
    if row is not None:
        assert row.leaf_hash == leaf_hash(data).hex()
    return dict(json.loads(data))


def test_log_open_uses_the_letters_stored_issuance_key() -> None:
    letter = make_letter()
    IssuanceKey.objects.create(letter=letter, spki=b"spki", token_challenge=b"challenge")
    sign(letter)  # opens the log on the way
    body = _genesis_body(letter.pk)
    assert (body["issuance_key"], body["token_challenge"]) == ("c3BraQ==", "Y2hhbGxlbmdl")


def test_log_open_adds_the_key_to_a_queued_genesis_entry() -> None:
    letter = make_letter()
    sign(letter)
    services.log_open(letter=letter, issuance_key=b"spki", token_challenge=b"challenge")
    body = _genesis_body(letter.pk)
    assert (body["issuance_key"], body["token_challenge"]) == ("c3BraQ==", "Y2hhbGxlbmdl")


def test_log_open_never_changes_an_integrated_genesis_entry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    letter = make_letter()
    sign(letter)
    log_sequence(letter_id=letter.pk)
    before = bytes(Entry.objects.get(letter=letter, index=0).data)
    services.log_open(letter=letter, issuance_key=b"spki", token_challenge=b"challenge")
    assert bytes(Entry.objects.get(letter=letter, index=0).data) == before
    assert [r.getMessage() for r in caplog.records] == [
        f"log testserver/l/{letter.slug}/log: its genesis entry has another issuance key"
    ]
