"""Signed notes, checkpoints and cosignatures, against reference vectors and hostile input."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from undersigned.crypto.note import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    NoteSignature,
    Signer,
    UnverifiedNoteError,
    Verifier,
    add_signatures,
    cosignature_timestamp,
    key_id,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
    sign_note,
    verifier_from_vkey,
)

# golang.org/x/mod/sumdb/note's documented example key and note.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
GO_NOTE = GO_TEXT + "\n" + GO_SIG

# The example in c2sp.org/signed-note.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXp"
    "pzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# A cosignature/v1 checkpoint produced by github.com/transparency-dev/formats/note (as captured
# in the yaglo/signed_note test vectors).
COSIG_VKEY = "vec.example/cosigv10+c12688da+BLMSTPoQj0PojM8eKiPf9xUT8g6b0OuMyvYb5sSu9JH5"
COSIG_NOTE = (
    "vec.example/cosigv10\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "\u2014 vec.example/cosigv10 wSaI2gAAAABqbL5Q3HjbTCJeqMg3tmpdYGAg05ijTi7k0pyreJSULmtv3g+yXH+G"
    "/Ko87JG+QkLF6af9+GVVNlEIgf6T0bw0wQyMDw==\n"
)

ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")


def flip_signature_byte(note: str, line: int = 0) -> str:
    text, sigs = parse_note(note)
    sig = sigs[line]
    bad = bytes([sig.signature[-1] ^ 1])
    sigs[line] = NoteSignature(sig.name, sig.key_id, sig.signature[:-1] + bad)
    return text + "\n" + "".join(s.line for s in sigs)


def test_go_vkey_parses_with_expected_key_id() -> None:
    verifier = verifier_from_vkey(GO_VKEY)
    assert (verifier.name, verifier.key_id, verifier.vkey) == ("PeterNeumann", 0xC74F20A3, GO_VKEY)


def test_go_skey_signs_note_byte_for_byte() -> None:
    signer = Signer.from_skey(GO_SKEY)
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE
    assert signer.skey == GO_SKEY
    assert signer.verifier().vkey == GO_VKEY


def test_go_note_opens() -> None:
    note = open_note(GO_NOTE.encode(), [verifier_from_vkey(GO_VKEY)])
    assert note.text == GO_TEXT
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert note.unverified == ()


def test_spec_example_note_opens() -> None:
    note = open_note(SPEC_NOTE, [verifier_from_vkey(SPEC_VKEY)])
    assert note.text == "This is an example message.\n"


def test_key_id_is_truncated_sha256_of_name_type_and_key() -> None:
    public = base64.b64decode(GO_VKEY.split("+", 2)[2])[1:]
    assert key_id("PeterNeumann", 0x01, public) == 0xC74F20A3


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
    ],
)
def test_verifier_from_vkey_malformed_rejected(vkey: str) -> None:
    with pytest.raises(MalformedNoteError):
        verifier_from_vkey(vkey)


def test_signer_from_skey_mangled_rejected() -> None:
    for bad in [GO_SKEY[:-1], GO_SKEY.replace("c74f20a3", "c74f20a4"), "PRIVATE+KEY+x+0+AA=="]:
        with pytest.raises(MalformedNoteError):
            Signer.from_skey(bad)


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + GO_SIG.rstrip("\n"),
        "\x01" + GO_TEXT + "\n" + GO_SIG,
        GO_TEXT + "\n" + GO_SIG.replace("PeterNeumann", "Bad Name"),
        GO_TEXT + "\n" + GO_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + GO_SIG.replace("\u2014 ", "- "),
        GO_TEXT + "\n" + GO_SIG.replace("AM=", "AM"),
        GO_TEXT + "\n" + GO_SIG.replace("AM=", "AN="),
        GO_TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",
        GO_TEXT + "\n" + "\u2014 Peter+Neumann " + GO_SIG.split(" ")[2],
        GO_TEXT + "\n" + GO_SIG.replace(" x08", "  x08"),
        GO_TEXT + "\n" + GO_SIG * 101,
    ],
)
def test_open_note_malformed_rejected(note: str) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(note, [verifier_from_vkey(GO_VKEY)])


def test_open_note_invalid_utf8_rejected() -> None:
    with pytest.raises(MalformedNoteError):
        open_note(b"\xff" + GO_NOTE.encode(), [verifier_from_vkey(GO_VKEY)])


def test_open_note_hundred_signatures_accepted() -> None:
    note = open_note(GO_TEXT + "\n" + GO_SIG * 100, [verifier_from_vkey(GO_VKEY)])
    assert len(note.signatures) == 1


def test_open_note_repeated_bad_signature_rejected() -> None:
    # Unlike Go, which skips repeats, every signature from a known key is verified.
    with pytest.raises(InvalidSignatureError):
        open_note(
            GO_NOTE + flip_signature_byte(GO_NOTE).split("\n\n")[1], [verifier_from_vkey(GO_VKEY)]
        )


def test_open_note_flipped_signature_byte_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        open_note(flip_signature_byte(GO_NOTE), [verifier_from_vkey(GO_VKEY)])


def test_open_note_altered_text_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        open_note(GO_NOTE.replace("answer", "Answer"), [verifier_from_vkey(GO_VKEY)])


def test_open_note_without_known_key_rejected() -> None:
    other = Signer.generate("other.example/key").verifier()
    with pytest.raises(UnverifiedNoteError):
        open_note(GO_NOTE, [other])


def test_open_note_ambiguous_verifiers_rejected_only_when_used() -> None:
    peter = verifier_from_vkey(GO_VKEY)
    other = Signer.generate("other.example/key").verifier()
    assert open_note(GO_NOTE, [other, peter, other]).text == GO_TEXT
    with pytest.raises(NoteError):
        open_note(GO_NOTE, [peter, verifier_from_vkey(GO_VKEY)])


def test_open_note_unknown_signatures_kept_unverified() -> None:
    log = Signer.generate("log.example/a")
    witness = Signer.generate("witness.example/w")
    # Same name as the log but another key, hence another key ID: must be ignored, not fatal.
    impostor = Signer.generate("log.example/a")
    note = sign_note("hello\n", [log, witness, impostor])
    opened = open_note(note, [log.verifier()])
    assert [s.name for s in opened.signatures] == ["log.example/a"]
    assert [(s.name, s.key_id) for s in opened.unverified] == [
        ("witness.example/w", witness.key_id),
        ("log.example/a", impostor.key_id),
    ]


def test_open_note_same_key_id_other_name_ignored() -> None:
    log = Signer.generate("log.example/a")
    note = sign_note("hello\n", [log])
    renamed = note.replace("\u2014 log.example/a ", "\u2014 log.example/b ")
    other = Signer.generate("other.example/c")
    both = renamed.rstrip("\n") + "\n" + sign_note("hello\n", [other]).split("\n\n")[1]
    opened = open_note(both, [log.verifier(), other.verifier()])
    assert [s.name for s in opened.signatures] == ["other.example/c"]


def test_open_note_text_with_blank_lines_splits_at_last_blank_line() -> None:
    signer = Signer.generate("log.example/a")
    text = "first\n\nsecond\n\n"
    assert open_note(sign_note(text, [signer]), [signer.verifier()]).text == text


def test_sign_note_text_without_final_newline_rejected() -> None:
    with pytest.raises(MalformedNoteError):
        sign_note("no newline", [Signer.generate("log.example/a")])


def test_signer_bad_name_rejected() -> None:
    for name in ["", "a b", "a+b", "tab\there", "nbsp\u00a0here"]:
        with pytest.raises(MalformedNoteError):
            Signer.generate(name)


def test_add_signatures_appends_witness_and_keeps_log() -> None:
    log = Signer.generate("log.example/a")
    witness = CosignatureSigner.generate("witness.example/w")
    note = add_signatures(sign_note("hello\n", [log]), [witness])
    opened = open_note(note, [log.verifier(), witness.verifier()])
    assert [s.name for s in opened.signatures] == ["log.example/a", "witness.example/w"]


def test_checkpoint_spec_example_parses_and_round_trips() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint == Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    assert checkpoint.text() == text


def test_checkpoint_extension_lines_round_trip() -> None:
    checkpoint = Checkpoint("log.example/a", 0, ROOT, ("ext one", "ext two"))
    assert Checkpoint.parse(checkpoint.text()) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        "log\n5\n",
        "log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log\n 5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log\n\u0665\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log\n1_0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2\n",
        "log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
        "log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n\n",
    ],
)
def test_checkpoint_malformed_text_rejected(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        Checkpoint.parse(text)


def test_open_checkpoint_signed_by_log_succeeds() -> None:
    log = Signer.generate("log.example/a")
    checkpoint = Checkpoint("log.example/a", 7, ROOT)
    parsed, note = open_checkpoint(sign_checkpoint(checkpoint, [log]), log.verifier())
    assert parsed == checkpoint
    assert note.text == checkpoint.text()


def test_open_checkpoint_tampered_size_rejected() -> None:
    log = Signer.generate("log.example/a")
    signed = sign_checkpoint(Checkpoint("log.example/a", 7, ROOT), [log])
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(signed.replace("\n7\n", "\n8\n"), log.verifier())


def test_open_checkpoint_flipped_signature_byte_rejected() -> None:
    log = Signer.generate("log.example/a")
    signed = sign_checkpoint(Checkpoint("log.example/a", 7, ROOT), [log])
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(flip_signature_byte(signed), log.verifier())


def test_open_checkpoint_wrong_origin_rejected() -> None:
    log = Signer.generate("log.example/a")
    signed = sign_checkpoint(Checkpoint("log.example/other", 7, ROOT), [log])
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, log.verifier())
    parsed, _ = open_checkpoint(signed, log.verifier(), origin="log.example/other")
    assert parsed.origin == "log.example/other"


def test_open_checkpoint_signed_only_by_witness_rejected() -> None:
    log = Signer.generate("log.example/a")
    witness = CosignatureSigner.generate("witness.example/w")
    signed = sign_checkpoint(Checkpoint("log.example/a", 7, ROOT), [witness])
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, log.verifier(), witnesses=[witness.verifier()])


def test_open_checkpoint_bad_witness_cosignature_rejected() -> None:
    log = Signer.generate("log.example/a")
    witness = CosignatureSigner.generate("witness.example/w")
    signed = sign_checkpoint(Checkpoint("log.example/a", 7, ROOT), [log, witness])
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(
            flip_signature_byte(signed, 1), log.verifier(), witnesses=[witness.verifier()]
        )


def test_cosignature_reference_note_verifies_with_timestamp() -> None:
    verifier = verifier_from_vkey(COSIG_VKEY)
    assert isinstance(verifier, CosignatureVerifier)
    assert verifier.vkey == COSIG_VKEY
    checkpoint, note = open_checkpoint(COSIG_NOTE, verifier)
    assert checkpoint == Checkpoint("vec.example/cosigv10", 42, ROOT)
    assert cosignature_timestamp(note.signatures[0]) == 1785511504


def test_cosignature_reference_note_altered_size_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        open_note(COSIG_NOTE.replace("\n42\n", "\n43\n"), [verifier_from_vkey(COSIG_VKEY)])


def test_cosignature_signs_spec_message_format() -> None:
    private = Ed25519PrivateKey.generate()
    cosigner = CosignatureSigner("witness.example/w", private, clock=lambda: 1679315147)
    body = Checkpoint("example.com/behind-the-sofa", 20852163, ROOT).text()
    signature = cosigner.sign(body.encode())
    assert signature[:8] == (1679315147).to_bytes(8, "big")
    expected = (
        "cosignature/v1\ntime 1679315147\n"
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    private.public_key().verify(signature[8:], expected.encode())
    assert cosigner.verifier().verify(body.encode(), signature)


def test_cosignature_tampered_timestamp_rejected() -> None:
    cosigner = CosignatureSigner.generate("witness.example/w")
    signature = cosigner.sign(b"log\n1\n" + base64.b64encode(ROOT) + b"\n")
    tampered = (int.from_bytes(signature[:8], "big") + 1).to_bytes(8, "big") + signature[8:]
    assert (
        cosigner.verifier().verify(b"log\n1\n" + base64.b64encode(ROOT) + b"\n", tampered) is False
    )


def test_cosignature_timestamp_above_int63_rejected() -> None:
    cosigner = CosignatureSigner(
        "witness.example/w", Ed25519PrivateKey.generate(), clock=lambda: 2**63
    )
    with pytest.raises(NoteError):
        cosigner.sign(b"x\n")


def test_cosignature_key_id_differs_from_plain_ed25519() -> None:
    private = Ed25519PrivateKey.generate()
    plain = Signer("w.example", private)
    cosigner = CosignatureSigner("w.example", private)
    assert plain.key_id != cosigner.key_id
    assert verifier_from_vkey(cosigner.verifier().vkey).key_id == cosigner.key_id
    assert type(verifier_from_vkey(plain.verifier().vkey)) is Verifier


def test_cosignature_skey_round_trips() -> None:
    cosigner = CosignatureSigner.generate("witness.example/w")
    restored = CosignatureSigner.from_skey(cosigner.skey)
    assert restored.verifier().vkey == cosigner.verifier().vkey
