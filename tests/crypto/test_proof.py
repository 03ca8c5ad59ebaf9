"""tlog-proof@v1: building, strict parsing, and verification against keys and checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from undersigned.crypto.merkle import MemoryTree, ProofError, leaf_hash
from undersigned.crypto.note import (
    Checkpoint,
    CosignatureSigner,
    InvalidSignatureError,
    Signer,
    UnverifiedNoteError,
    sign_checkpoint,
)
from undersigned.crypto.proof import (
    PROOF_HEADER,
    MalformedProofError,
    TlogProof,
    build_proof,
    parse_proof,
    verify_proof,
)

LOG = Signer.generate("log.example/letter-1")
WITNESS = CosignatureSigner(
    "witness.example/w1", Ed25519PrivateKey.generate(), clock=lambda: 1_700_000_000
)
ENTRIES = [b'{"i":%d}' % i for i in range(1000)]
TREE = MemoryTree(leaf_hash(e) for e in ENTRIES)


def signed_checkpoint(size: int, *, witnessed: bool = False) -> str:
    checkpoint = Checkpoint(LOG.name, size, TREE.root(size))
    return sign_checkpoint(checkpoint, [LOG, WITNESS] if witnessed else [LOG])


def receipt(index: int, size: int = 1000, **kwargs: bool) -> str:
    return build_proof(index, TREE.inclusion_proof(index, size), signed_checkpoint(size, **kwargs))


def flip_line(text: str, line_no: int) -> str:
    lines = text.split("\n")
    raw = base64.b64decode(lines[line_no])
    lines[line_no] = base64.b64encode(bytes([raw[0] ^ 1]) + raw[1:]).decode()
    return "\n".join(lines)


def test_build_proof_has_spec_layout() -> None:
    text = build_proof(5, TREE.inclusion_proof(5, 8), signed_checkpoint(8), extra=b"ctx")
    lines = text.split("\n")
    assert lines[:3] == [PROOF_HEADER, "extra Y3R4", "index 5"]
    assert lines[3:6] == [base64.b64encode(h).decode() for h in TREE.inclusion_proof(5, 8)]
    assert lines[6] == ""
    assert "\n".join(lines[7:]) == signed_checkpoint(8)


def test_parse_proof_round_trips() -> None:
    text = build_proof(7, TREE.inclusion_proof(7, 1000), signed_checkpoint(1000), extra=b"\x00x")
    proof = parse_proof(text)
    assert proof == TlogProof(
        7, tuple(TREE.inclusion_proof(7, 1000)), signed_checkpoint(1000), b"\x00x"
    )
    assert proof.text() == text


@pytest.mark.parametrize("index", [0, 1, 511, 998, 999])
def test_verify_proof_accepts_every_position(index: int) -> None:
    result = verify_proof(receipt(index), leaf_hash(ENTRIES[index]), LOG.verifier())
    assert (result.index, result.checkpoint.size, result.witnesses) == (index, 1000, ())


def test_verify_proof_single_entry_log_has_no_hash_lines() -> None:
    text = receipt(0, size=1)
    assert text.startswith(f"{PROOF_HEADER}\nindex 0\n\n")
    assert verify_proof(text, leaf_hash(ENTRIES[0]), LOG.verifier()).checkpoint.size == 1


def test_verify_proof_witness_policy_counts_cosignatures() -> None:
    text = receipt(3, witnessed=True)
    result = verify_proof(
        text, leaf_hash(ENTRIES[3]), LOG.verifier(), witnesses=[WITNESS.verifier()], min_witnesses=1
    )
    assert result.witnesses == ("witness.example/w1",)
    with pytest.raises(UnverifiedNoteError):
        verify_proof(
            receipt(3),
            leaf_hash(ENTRIES[3]),
            LOG.verifier(),
            witnesses=[WITNESS.verifier()],
            min_witnesses=1,
        )


def test_verify_proof_wrong_leaf_rejected() -> None:
    with pytest.raises(ProofError):
        verify_proof(receipt(3), leaf_hash(ENTRIES[4]), LOG.verifier())


def test_verify_proof_wrong_index_rejected() -> None:
    with pytest.raises(ProofError):
        verify_proof(
            receipt(3).replace("index 3\n", "index 2\n"), leaf_hash(ENTRIES[3]), LOG.verifier()
        )


def test_verify_proof_flipped_proof_hash_rejected() -> None:
    with pytest.raises(ProofError):
        verify_proof(flip_line(receipt(3), 2), leaf_hash(ENTRIES[3]), LOG.verifier())


def test_verify_proof_flipped_checkpoint_signature_rejected() -> None:
    text = receipt(3)
    head, _, sig = text.rpartition(" ")
    raw = base64.b64decode(sig)
    tampered = head + " " + base64.b64encode(raw[:-1] + bytes([raw[-1] ^ 1])).decode() + "\n"
    with pytest.raises(InvalidSignatureError):
        verify_proof(tampered, leaf_hash(ENTRIES[3]), LOG.verifier())


def test_verify_proof_other_log_key_rejected() -> None:
    other = Signer.generate("log.example/letter-1")
    with pytest.raises(UnverifiedNoteError):
        verify_proof(receipt(3), leaf_hash(ENTRIES[3]), other.verifier())


def test_verify_proof_unexpected_origin_rejected() -> None:
    with pytest.raises(UnverifiedNoteError):
        verify_proof(receipt(3), leaf_hash(ENTRIES[3]), LOG.verifier(), origin="log.example/x")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(PROOF_HEADER, "c2sp.org/tlog-proof@v2"),
        lambda t: t.replace("index 3\n", "index 03\n"),
        lambda t: t.replace("index 3\n", "index -3\n"),
        lambda t: t.replace("index 3\n", ""),
        lambda t: t.replace("index 3\n", "index 3\nextra AA==\n"),
        lambda t: t.replace("index 3\n", "index 3\nnot base64!\n"),
        lambda t: t.replace("index 3\n", "index 3\nAAAA\n"),
        lambda t: t.replace(f"{PROOF_HEADER}\n", f"{PROOF_HEADER}\nextra !!\n"),
        lambda t: t.replace("\n\n", "\n", 1),
        lambda t: t.split("\n\n")[0] + "\n\nnot a note\n",
        lambda t: "\ufeff" + t,
    ],
)
def test_parse_proof_malformed_rejected(mangle: object) -> None:
    assert callable(mangle)
    with pytest.raises(MalformedProofError):
        parse_proof(mangle(receipt(3)))


def test_parse_proof_invalid_utf8_rejected() -> None:
    with pytest.raises(MalformedProofError):
        parse_proof(b"\xff" + receipt(3).encode())


def test_build_proof_short_hash_rejected() -> None:
    with pytest.raises(MalformedProofError):
        build_proof(0, [b"short"], signed_checkpoint(2))


def test_build_proof_unsigned_checkpoint_rejected() -> None:
    with pytest.raises(MalformedProofError):
        build_proof(0, [], Checkpoint(LOG.name, 1, TREE.root(1)).text())
