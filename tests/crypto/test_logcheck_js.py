"""The page's genesis check (static/undersigned/js/logcheck.js) in Node, on logs built here.

Python builds the log (signed-note checkpoint, Merkle tree, tlog-proof of entry 0) the way the
server does; the JavaScript must accept exactly the genuine ones and name what is wrong with the
others. Node is required, as for tests/crypto/test_js_interop.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from undersigned.crypto import logentries
from undersigned.crypto.anonymous import letter_challenge
from undersigned.crypto.merkle import MemoryTree, leaf_hash
from undersigned.crypto.note import Checkpoint, Signer, sign_checkpoint
from undersigned.crypto.proof import build_proof

CLIENT = Path(__file__).parents[1] / "js" / "logcheck_client.mjs"
ORIGIN = "letters.example.org/l/cancel/log"
SPKI = b"\x30\x82" + bytes(range(200))  # the check compares bytes; it does not parse the key


@functools.cache
def signer() -> Signer:
    return Signer.generate(ORIGIN)


def genesis(
    key: bytes | None = SPKI, challenge_for: str = "letters.example.org/l/cancel/"
) -> bytes:
    return logentries.letter_entry(
        date=dt.date(2026, 11, 29),
        text_hash="ab" * 32,
        domains=["example.org"],
        issuance_key=key,
        token_challenge=None if key is None else letter_challenge(challenge_for).encode(),
    )


def proof(entries: list[bytes], *, index: int = 0, by: Signer | None = None) -> str:
    tree = MemoryTree(leaf_hash(e) for e in entries)
    note = sign_checkpoint(Checkpoint(ORIGIN, len(entries), tree.root()), [by or signer()])
    return build_proof(index, tree.inclusion_proof(index), note, entries[index])


def run_node(cases: list[dict[str, str]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required for the JavaScript client tests: apt-get install nodejs")
    result = subprocess.run(
        [node, str(CLIENT)],
        input="".join(json.dumps(case) + "\n" for case in cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def _others(count: int) -> list[bytes]:
    return [
        logentries.amendment_entry(date=dt.date(2026, 11, 29), text_hash=f"{i:064x}")
        for i in range(count)
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 255, 256, 257, 1000])
def test_genuine_genesis_is_accepted_at_any_log_size(size: int) -> None:
    entries = [genesis(), *_others(size - 1)]

    [answer] = run_node([{"proof": proof(entries), "vkey": signer().verifier().vkey}])

    assert answer == {
        "origin": ORIGIN,
        "issuance_key": base64.b64encode(SPKI).decode(),
        "token_challenge": base64.b64encode(
            letter_challenge("letters.example.org/l/cancel/").encode()
        ).decode(),
    }


def _tampered_entry() -> str:
    text = proof([genesis(), *_others(4)])
    good = base64.b64encode(genesis()).decode()
    other = base64.b64encode(genesis(key=SPKI[:-1] + b"\x00")).decode()
    return text.replace(good, other)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (_tampered_entry, "the genesis entry is not in the signed checkpoint"),
        (
            lambda: proof([genesis(), *_others(4)], by=Signer.generate(ORIGIN)),
            "the checkpoint is not signed by the log key",
        ),
        (
            lambda: proof([genesis(challenge_for="letters.example.org/l/other/"), *_others(2)]),
            "the log published a token challenge that does not name this letter",
        ),
        (lambda: proof([genesis(key=None), *_others(2)]), "the log publishes no issuance key"),
        (
            lambda: proof([genesis(), *_others(2)], index=1),
            "the proof is not for the genesis entry",
        ),
        (lambda: "not a proof", "the proof has no checkpoint"),
    ],
)
def test_forged_or_foreign_genesis_is_refused(make: Any, error: str) -> None:
    [answer] = run_node([{"proof": make(), "vkey": signer().verifier().vkey}])

    assert answer == {"error": f"LogCheckError: {error}"}


def test_vkey_with_plus_in_its_key_is_parsed() -> None:
    # Base64 keys often contain "+"; only the first two separate the fields.
    entries = [genesis(), *_others(2)]

    [answer] = run_node(
        [
            {
                "proof": proof(entries, by=signer_with_plus()),
                "vkey": signer_with_plus().verifier().vkey,
            }
        ]
    )

    assert answer["origin"] == ORIGIN


@functools.cache
def signer_with_plus() -> Signer:
    for _ in range(1000):
        candidate = Signer.generate(ORIGIN)
        if "+" in candidate.verifier().vkey.split("+", 2)[2]:
            return candidate
    raise AssertionError("no key with + in 1000 tries")
