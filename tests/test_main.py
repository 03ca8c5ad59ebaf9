"""`undersigned` as one front door: the demo's folder configures every command run from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The source under test, not whichever copy the environment has installed.
SOURCE = str(Path(__file__).resolve().parent.parent / "src")
NO_SECRET = (
    "undersigned: SECRET_KEY must be set to a random string of 32 characters or more "
    "(see docs/configuration.md), or run `undersigned demo` first for a local instance"
)


def undersigned(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command, with nothing from this test run's environment but what is passed."""
    return subprocess.run(
        [sys.executable, "-m", "undersigned", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": SOURCE, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder where `undersigned demo` has set up its instance, without serving it."""
    folder = tmp_path_factory.mktemp("project")
    result = undersigned(folder, "demo", "--no-serve", "--port", "8123")
    assert (result.returncode, result.stderr.count("Traceback")) == (0, 0), result.stderr
    return folder


@pytest.fixture
def empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_demo_setup_writes_its_settings_for_other_commands(demo_folder: Path) -> None:
    demo_env = demo_folder / ".undersigned" / "demo.env"
    lines = demo_env.read_text().splitlines()
    names = [line.partition("=")[0] for line in lines if not line.startswith("#")]
    assert (names, demo_env.stat().st_mode & 0o777) == (
        [
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "SITE_URL",
            "EMAIL_URL",
            "SEQUENCER_INTERVAL_SECONDS",
            "BIND",
        ],
        0o600,
    )


def test_deliver_help_in_demo_folder_exits_0(demo_folder: Path) -> None:
    result = undersigned(demo_folder, "deliver", "--help")
    assert (result.returncode, result.stdout.split()[:3], result.stderr) == (
        0,
        ["usage:", "undersigned", "deliver"],
        "",
    )


def test_shell_in_demo_folder_reads_demo_database(demo_folder: Path) -> None:
    code = (
        "from django.conf import settings; from undersigned.letters.models import Letter; "
        "print(Letter.objects.get().slug, settings.SITE_URL)"
    )
    result = undersigned(demo_folder, "shell", "--verbosity", "0", "-c", code)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "demo http://127.0.0.1:8123\n",
        "",
    )


def test_migrate_check_in_demo_folder_exits_0(demo_folder: Path) -> None:
    result = undersigned(demo_folder, "migrate", "--check")
    assert (result.returncode, result.stderr) == (0, "")


def test_shell_elsewhere_with_data_dir_reads_demo_database(
    demo_folder: Path, empty_folder: Path
) -> None:
    code = "from undersigned.letters.models import Letter; print(Letter.objects.get().slug)"
    result = undersigned(
        empty_folder,
        "shell",
        "--verbosity",
        "0",
        "-c",
        code,
        UNDERSIGNED_DATA_DIR=str(demo_folder / ".undersigned"),
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "demo\n", "")


def test_environment_variable_in_demo_folder_wins_over_demo_env(demo_folder: Path) -> None:
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = undersigned(
        demo_folder, "shell", "-v", "0", "-c", code, SITE_URL="http://letters.example"
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "http://letters.example\n",
        "",
    )


def test_secret_key_in_environment_ignores_demo_env(demo_folder: Path) -> None:
    # Whoever sets SECRET_KEY configures an instance: the demo must not fill in what they forgot.
    result = undersigned(demo_folder, "migrate", "--check", SECRET_KEY="k" * 40)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "undersigned: ALLOWED_HOSTS must list the host names this instance answers to "
        "(see docs/configuration.md)\n",
    )


def test_bad_variable_in_demo_folder_exits_2_with_one_line(demo_folder: Path) -> None:
    result = undersigned(demo_folder, "worker", DEBUG="perhaps")
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (
        2,
        "",
        ["undersigned: DEBUG must be true or false, not 'perhaps' (see docs/configuration.md)"],
    )


def test_help_in_empty_folder_lists_all_commands(empty_folder: Path) -> None:
    result = undersigned(empty_folder, "help")
    listed = {line.strip() for line in result.stdout.splitlines() if line.startswith("    ")}
    expected = {
        "createorganizer",
        "createsuperuser",
        "deliver",
        "log_export",
        "migrate",
        "purge_letter_secrets",
        "rotate_keys",
        "shell",
        "worker",
    }
    assert (result.returncode, expected - listed, result.stderr) == (0, set(), "")


def test_rotate_keys_is_spelled_with_a_hyphen(empty_folder: Path) -> None:
    result = undersigned(empty_folder, "rotate-keys", "--help")
    assert (result.returncode, result.stdout.split()[:3], result.stderr) == (
        0,
        ["usage:", "undersigned", "rotate_keys"],
        "",
    )


def test_deliver_help_in_empty_folder_exits_0(empty_folder: Path) -> None:
    result = undersigned(empty_folder, "deliver", "--help")
    assert (result.returncode, result.stdout.split()[:3], result.stderr) == (
        0,
        ["usage:", "undersigned", "deliver"],
        "",
    )


@pytest.mark.parametrize(
    "args", [("deliver", "demo"), ("serve",), ("worker",), ("shell", "-c", "print(1)")]
)
def test_command_in_empty_folder_exits_2_naming_secret_key(
    empty_folder: Path, args: tuple[str, ...]
) -> None:
    result = undersigned(empty_folder, *args)
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (2, "", [NO_SECRET])


def test_unknown_settings_module_exits_2_with_one_line(empty_folder: Path) -> None:
    result = undersigned(empty_folder, "migrate", DJANGO_SETTINGS_MODULE="nowhere.settings")
    assert (result.returncode, result.stderr.splitlines()) == (
        2,
        [
            "undersigned: DJANGO_SETTINGS_MODULE: no module named 'nowhere.settings' "
            "(see docs/configuration.md), or run `undersigned demo` first for a local instance"
        ],
    )


@pytest.mark.parametrize("command", ["verify", "sign"])
def test_crypto_command_in_empty_folder_needs_no_settings(empty_folder: Path, command: str) -> None:
    result = undersigned(empty_folder, command, "--help")
    assert (result.returncode, result.stdout.split()[:3], result.stderr) == (
        0,
        ["usage:", "undersigned", command],
        "",
    )
