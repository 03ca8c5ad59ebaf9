from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from tests.publiclog.helpers import sign_many
from tests.support.factories import make_letter
from undersigned.crypto.merkle import leaf_hash
from undersigned.crypto.note import (
    CosignatureSigner,
    add_signatures,
    parse_note,
    verifier_from_vkey,
)
from undersigned.crypto.proof import verify_proof
from undersigned.letters.models import Letter
from undersigned.publiclog.models import Entry, LogState
from undersigned.publiclog.sequencer import log_sequence

pytestmark = pytest.mark.django_db


def _letter(slug: str, count: int) -> Letter:
    letter = make_letter(slug)
    sign_many(letter, count, tier="public")
    while log_sequence(letter_id=letter.pk, batch_max=50):
        pass
    return letter


def test_log_detail_has_head_and_counts(client: Client) -> None:
    letter = _letter("api-log", 4)
    sign_many(letter, 2)
    state = LogState.objects.get(letter=letter)
    response = client.get("/api/v1/letters/api-log/log")
    assert response.status_code == 200
    assert response.json() == {
        "url": "http://testserver/l/api-log/log/",
        "origin": "testserver/l/api-log/log",
        "vkey": state.vkey,
        "size": 5,
        "root": base64.b64encode(bytes(state.root)).decode(),
        "counts": {"public": 4, "recipient": 0, "counted": 0, "anonymous": 0},
        "total": 4,
        "pending": 2,
        "checkpoint": state.checkpoint,
    }


def test_log_detail_without_log_is_a_404_in_the_api_format(client: Client) -> None:
    make_letter("api-nolog")
    response = client.get("/api/v1/letters/api-nolog/log")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "no_log")
    assert client.get("/api/v1/letters/nope/log").json()["error"]["code"] == "not_found"


def test_proof_verifies_at_every_kind_of_position(client: Client) -> None:
    letter = _letter("api-proof", 300)
    state = LogState.objects.get(letter=letter)
    for index in (0, 1, 150, 255, 256, 299, 300):
        response = client.get(f"/api/v1/letters/api-proof/log/proof?index={index}")
        assert (response.status_code, response["Content-Type"]) == (
            200,
            "text/plain; charset=utf-8",
        )
        data = bytes(Entry.objects.get(letter=letter, index=index).data)
        verified = verify_proof(response.content, leaf_hash(data), verifier_from_vkey(state.vkey))
        assert (verified.index, verified.checkpoint.size, verified.extra) == (index, 301, data)


def test_proof_by_leaf_hash(client: Client) -> None:
    letter = _letter("api-leaf", 10)
    entry = Entry.objects.get(letter=letter, index=7)
    response = client.get(f"/api/v1/letters/api-leaf/log/proof?leaf_hash={entry.leaf_hash}")
    assert response.content.decode().split("\n")[2] == "index 7"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("index=11", 404),
        ("index=-1", 404),
        ("index=99999999999999999999999", 404),
        ("index=abc", 422),
        ("", 422),
        ("index=1&leaf_hash=" + "0" * 64, 422),
        ("leaf_hash=" + "0" * 64, 404),
        ("leaf_hash=XYZ", 422),
    ],
)
def test_proof_refuses_bad_queries(client: Client, query: str, status: int) -> None:
    _letter("api-bad", 10)
    response = client.get(f"/api/v1/letters/api-bad/log/proof?{query}")
    assert (response.status_code, "error" in response.json()) == (status, True)


def test_cosignatures_are_accepted_from_configured_witnesses(
    client: Client, settings: object
) -> None:
    witness = CosignatureSigner("w.example/1", Ed25519PrivateKey.generate())
    settings.LOG_WITNESSES = [witness.verifier().vkey]  # type: ignore[attr-defined]
    letter = _letter("api-cosign", 3)
    state = LogState.objects.get(letter=letter)
    line = parse_note(add_signatures(state.checkpoint, [witness]))[1][-1].line
    response = client.post(
        "/api/v1/letters/api-cosign/log/cosignatures",
        {"cosignatures": line},
        content_type="application/json",
    )
    assert response.status_code == 200
    served = client.get("/l/api-cosign/log/checkpoint").content.decode()
    assert (response.json()["checkpoint"], served.endswith(line)) == (served, True)
    bad = client.post(
        "/api/v1/letters/api-cosign/log/cosignatures",
        {"cosignatures": line.replace("w.example/1", "w.example/2")},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "cosignature_rejected")
