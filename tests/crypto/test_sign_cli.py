"""`undersigned sign` as a signer runs it: a subprocess against the live test server."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.signing.helpers import outbox_code
from tests.support.factories import make_letter
from tests.support.processes import UNDERSIGNED
from undersigned.crypto import blindrsa, tokens
from undersigned.crypto.note import Signer
from undersigned.letters.models import Letter
from undersigned.mail.models import OutboxMessage
from undersigned.publiclog.models import LogState
from undersigned.publiclog.sequencer import log_sequence_all
from undersigned.signing import services
from undersigned.signing.models import IssuanceKey, Signature
from undersigned.signing.selectors import TokenCounts, token_counts

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def letter() -> Letter:
    letter = make_letter(domains=["example.org"])
    services.anonymous_open(letter=letter)
    log_sequence_all()  # publishes the genesis entry with the issuance key
    return letter


def sign(
    live_server: object, letter: Letter, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            UNDERSIGNED,
            "sign",
            *args,
            f"{live_server}/l/{letter.slug}/",
            "--pins",
            str(tmp_path / "pins.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _wait_for_message(to: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(to in row.recipients for row in OutboxMessage.objects.all()):
            return outbox_code(to)
        time.sleep(0.05)
    pytest.fail(f"no message to {to}")


def test_email_code_from_stdin_signs_and_receipt_verifies(
    live_server: object, letter: Letter, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [
            *(UNDERSIGNED, "sign", "--anonymous", f"{live_server}/l/{letter.slug}/"),
            *("--email", "ana@example.org", "--department", "Ops"),
            *("--receipt", str(tmp_path / "receipt.json"), "--pins", str(tmp_path / "pins.json")),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(_wait_for_message("ana@example.org") + "\n", timeout=60)
    log_sequence_all()
    vkey = LogState.objects.get(letter=letter).vkey
    checked = subprocess.run(
        [
            *(UNDERSIGNED, "verify", f"{live_server}/l/{letter.slug}/log/", "--key", vkey),
            *("--receipt", str(tmp_path / "receipt.json")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert process.returncode == 0, err
    assert "WARNING: no key is pinned for the log testserver/l/" in err
    assert out.splitlines()[0].startswith("Signed anonymously (")
    assert (Signature.objects.get().tier, Signature.objects.get().department) == (
        "anonymous",
        "Ops",
    )
    assert checked.returncode == 0, checked.stderr
    assert "count anonymous: 1" in checked.stdout.splitlines()
    assert (tmp_path / "receipt.json").stat().st_mode & 0o777 == 0o600


def test_save_token_then_redeem(live_server: object, letter: Letter, tmp_path: Path) -> None:
    invite = services.invite_batch_create(letter=letter, size=1)[0]
    saved = tmp_path / "token.json"

    made = sign(
        live_server, letter, tmp_path, "--anonymous", "--invite-code", invite, "--save-token",
        str(saved),
    )  # fmt: skip
    mode = saved.stat().st_mode & 0o777
    waiting = token_counts(letter_id=letter.pk)
    redeemed = sign(live_server, letter, tmp_path, "--redeem", str(saved))

    assert made.returncode == 0, made.stderr
    assert (mode, waiting) == (0o600, TokenCounts(issued=1, redeemed=0))
    assert redeemed.returncode == 0, redeemed.stderr
    assert token_counts(letter_id=letter.pk) == TokenCounts(issued=1, redeemed=1)
    assert saved.exists() is False


def test_token_saved_for_another_letter_is_refused_locally(
    live_server: object, letter: Letter, tmp_path: Path
) -> None:
    other = make_letter(domains=["example.org"])
    saved = tmp_path / "token.json"
    saved.write_text(
        json.dumps(
            {
                "format": "undersigned-token/1",
                "letter": f"{live_server}/l/{other.slug}/",
                "token": "",
            }
        )
    )

    result = sign(live_server, letter, tmp_path, "--redeem", str(saved))

    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        1,
        f"FAILED: {saved} holds a token for {live_server}/l/{other.slug}/, "
        f"not {live_server}/l/{letter.slug}/",
    )


def test_wrong_code_reports_the_servers_reason(
    live_server: object, letter: Letter, tmp_path: Path
) -> None:
    result = sign(
        live_server, letter, tmp_path, "--anonymous", "--email", "ana@example.org", "--code",
        "00000000",
    )  # fmt: skip

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        "FAILED: the server refused (400): This code is wrong, has expired"
    )


def test_key_served_by_api_but_not_in_log_is_refused(
    live_server: object, letter: Letter, tmp_path: Path
) -> None:
    # A server that hands this signer a key of its own could recognize their token later.
    invite = services.invite_batch_create(letter=letter, size=1)[0]
    other = blindrsa.generate_private_key(2048).public_key()
    IssuanceKey.objects.filter(letter=letter).update(spki=tokens.encode_issuer_public_key(other))

    result = sign(live_server, letter, tmp_path, "--anonymous", "--invite-code", invite)

    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        1,
        "FAILED: the letter's API serves another issuance key than its log: do not sign, tell "
        "the organizers",
    )
    assert token_counts(letter_id=letter.pk).issued == 0


def test_pinned_log_key_that_no_longer_signs_is_refused(
    live_server: object, letter: Letter, tmp_path: Path
) -> None:
    # The key pinned at first use, and a server now signing with another one (a forked log).
    origin = LogState.objects.get(letter=letter).origin
    stranger = Signer.generate(origin).verifier().vkey
    (tmp_path / "pins.json").write_text(
        json.dumps({"version": 1, "logs": {origin: {"vkey": stranger, "location": ""}}})
    )

    result = sign(live_server, letter, tmp_path, "--anonymous", "--invite-code", "ABCD-EFGH-JKMN")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("FAILED: the letter's log does not check out:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--anonymous", "--email", "a@example.org"], "is not a letter's address"),
        (["--anonymous"], "give --email ADDRESS (a code is mailed to it) or --invite-code CODE"),
    ],
)
def test_usage_problems_are_explained(
    live_server: object, letter: Letter, tmp_path: Path, args: list[str], message: str
) -> None:
    url = f"{live_server}/elsewhere/" if "--email" in args else f"{live_server}/l/{letter.slug}/"
    result = subprocess.run(
        [UNDERSIGNED, "sign", *args, url, "--pins", str(tmp_path / "pins.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert message in result.stderr


def test_proof_of_work_asked_before_the_code_is_solved_and_signs(
    live_server: object, letter: Letter, tmp_path: Path, settings: object
) -> None:
    settings.SIGNING_UNCONFIRMED_PER_LETTER = 0  # type: ignore[attr-defined]
    settings.SIGNING_CHALLENGE_COST = 10  # type: ignore[attr-defined]
    process = subprocess.Popen(
        [
            *(UNDERSIGNED, "sign", "--anonymous", f"{live_server}/l/{letter.slug}/"),
            *("--email", "ana@example.org", "--pins", str(tmp_path / "pins.json")),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(_wait_for_message("ana@example.org") + "\n", timeout=60)

    assert process.returncode == 0, err
    assert "The server asks for a short proof of work first; solving it..." in err.splitlines()
    assert out.splitlines()[0].startswith("Signed anonymously (")
