from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.publiclog.helpers import sign_many
from tests.support.factories import make_letter
from undersigned.publiclog.models import LogState
from undersigned.publiclog.sequencer import log_sequence

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _exported(tmp_path: Path) -> tuple[Path, str]:
    letter = make_letter("exported")
    sign_many(letter, 5, tier="recipient")
    log_sequence(letter_id=letter.pk)
    out = io.StringIO()
    call_command("log_export", "exported", str(tmp_path / "copy"), stdout=out)
    assert out.getvalue() == f"Wrote 4 files to {tmp_path / 'copy'}.\n"
    return tmp_path / "copy", LogState.objects.get(letter=letter).vkey


def test_log_export_writes_the_tlog_tiles_layout(tmp_path: Path) -> None:
    copy, vkey = _exported(tmp_path)
    files = sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file())
    assert files == ["checkpoint", "tile/0/000.p/6", "tile/entries/000.p/6", "vkey"]
    assert (copy / "vkey").read_text() == vkey + "\n"


def test_log_export_of_an_unknown_letter_fails(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No letter 'nobody' with a log"):
        call_command("log_export", "nobody", str(tmp_path))


def test_verify_command_checks_the_copy(tmp_path: Path) -> None:
    copy, vkey = _exported(tmp_path)
    out = io.StringIO()
    call_command("verify", str(copy), "--key", vkey, stdout=out)
    assert out.getvalue().splitlines()[-1] == "OK: everything checks."
    (copy / "tile/0/000.p/6").write_bytes(b"\x00" * 192)
    with pytest.raises(CommandError, match="does not check out"):
        call_command("verify", str(copy), "--key", vkey, stdout=io.StringIO(), stderr=io.StringIO())


def test_undersigned_verify_needs_no_settings_or_secret(tmp_path: Path) -> None:
    copy, vkey = _exported(tmp_path)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    env["PYTHONPATH"] = str(ROOT / "src")
    result = subprocess.run(
        [sys.executable, "-m", "undersigned", "verify", str(copy), "--key", vkey],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert "count recipient: 5" in result.stdout.splitlines()
