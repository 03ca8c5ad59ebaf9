"""Settings come from the environment, strictly: production refuses to start on a mistake."""

from __future__ import annotations

import ipaddress
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from undersigned.settings.env import (
    EmailConfig,
    data_dir,
    env_bool,
    env_list,
    env_networks,
    env_str,
    parse_email_url,
)

SMTP = "django.core.mail.backends.smtp.EmailBackend"
COMMAND = Path(sys.executable).with_name("undersigned")
# The source under test, not whichever copy the environment has installed.
SOURCE = str(Path(__file__).resolve().parent.parent / "src")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example:2525", EmailConfig(backend=SMTP, host="mail.example", port=2525)),
        ("smtp://mail.example", EmailConfig(backend=SMTP, host="mail.example", port=25)),
        (
            "smtp+tls://user%40example.org:p%40ss%3Aword@mail.example:587",
            EmailConfig(
                backend=SMTP,
                host="mail.example",
                port=587,
                user="user@example.org",
                password="p@ss:word",
                use_tls=True,
            ),
        ),
        (
            "smtps://u:p@mail.example",
            EmailConfig(
                backend=SMTP, host="mail.example", port=465, user="u", password="p", use_ssl=True
            ),
        ),
        ("console:", EmailConfig(backend="django.core.mail.backends.console.EmailBackend")),
        (
            "file:///var/mail/out",
            EmailConfig(
                backend="django.core.mail.backends.filebased.EmailBackend",
                file_path="/var/mail/out",
            ),
        ),
    ],
)
def test_parse_email_url_forms(url: str, expected: EmailConfig) -> None:
    assert parse_email_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "EMAIL_URL must be smtp://, smtp+tls://, smtps://, console: or"),
        ("mail.example:25", "EMAIL_URL must be smtp://, smtp+tls://, smtps://, console: or"),
        ("smtp://", "EMAIL_URL needs a host, e.g. smtp://127.0.0.1:25"),
        ("smtp://:25", "EMAIL_URL needs a host, e.g. smtp://127.0.0.1:25"),
        ("smtp://mail.example:port", "EMAIL_URL has an invalid port"),
        ("smtp://mail.example:99999", "EMAIL_URL has an invalid port"),
        ("file://", "EMAIL_URL file:///folder needs a folder"),
        ("console", "EMAIL_URL must be smtp://, smtp+tls://, smtps://, console: or"),
    ],
)
def test_parse_email_url_bad_values_raise(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_email_url(url)
    assert str(caught.value)[: len(message)] == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("TRUE", True), ("yes", True), ("on", True), ("0", False), ("Off", False)],
)
def test_env_bool_accepts_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("UNDERSIGNED_TEST_FLAG", value)
    assert env_bool("UNDERSIGNED_TEST_FLAG") is expected


@pytest.mark.parametrize("value", ["maybe", "2", "tru", "y"])
def test_env_bool_refuses_anything_else(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("UNDERSIGNED_TEST_FLAG", value)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_bool("UNDERSIGNED_TEST_FLAG")
    assert str(caught.value) == f"UNDERSIGNED_TEST_FLAG must be true or false, not {value!r}"


def test_env_bool_unset_or_blank_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNDERSIGNED_TEST_FLAG", raising=False)
    unset = env_bool("UNDERSIGNED_TEST_FLAG", True)
    monkeypatch.setenv("UNDERSIGNED_TEST_FLAG", "  ")
    assert (unset, env_bool("UNDERSIGNED_TEST_FLAG", True)) == (True, True)


def test_env_str_strips_and_blank_is_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNDERSIGNED_TEST_VALUE", "  value  ")
    stripped = env_str("UNDERSIGNED_TEST_VALUE")
    monkeypatch.setenv("UNDERSIGNED_TEST_VALUE", "")
    assert (stripped, env_str("UNDERSIGNED_TEST_VALUE", "fallback")) == ("value", "fallback")


def test_env_list_splits_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNDERSIGNED_TEST_LIST", " a.example, ,b.example ,")
    assert env_list("UNDERSIGNED_TEST_LIST") == ["a.example", "b.example"]


def test_env_networks_parses_addresses_and_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNDERSIGNED_TEST_NETS", "10.0.0.1, 172.16.0.0/12, fd00::/8")
    assert env_networks("UNDERSIGNED_TEST_NETS") == [
        ipaddress.ip_network("10.0.0.1/32"),
        ipaddress.ip_network("172.16.0.0/12"),
        ipaddress.ip_network("fd00::/8"),
    ]


@pytest.mark.parametrize("value", ["10.0.0.300", "proxy.example", "10.0.0.0/40"])
def test_env_networks_bad_value_raises(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("UNDERSIGNED_TEST_NETS", value)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_networks("UNDERSIGNED_TEST_NETS")
    assert str(caught.value) == (
        f"UNDERSIGNED_TEST_NETS: {value!r} is not an IP address or network"
    )


def test_data_dir_is_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UNDERSIGNED_DATA_DIR", str(tmp_path / "data"))
    assert data_dir() == (tmp_path / "data").resolve()


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A clean production environment: nothing leaks in from the test run's own variables."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": SOURCE,
        "DJANGO_SETTINGS_MODULE": "undersigned.settings.main",
        "UNDERSIGNED_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "letters.example",
        "SITE_URL": "https://letters.example",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_over_https(tmp_path: Path) -> None:
    result = check_deploy(production_env(tmp_path))
    assert (result.returncode, result.stdout.strip(), result.stderr) == (
        0,
        "System check identified no issues (0 silenced).",
        "",
    )


def test_production_settings_over_plain_http_fail_check_deploy(tmp_path: Path) -> None:
    result = check_deploy(production_env(tmp_path, SITE_URL="http://letters.example"))
    warnings = sorted(set(re.findall(r"security\.W\d+", result.stderr)))
    assert (result.returncode, warnings) == (
        1,
        ["security.W004", "security.W008", "security.W012", "security.W016"],
    )


SEE_DOCS = "(see docs/configuration.md)"


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (
            {"SECRET_KEY": None},
            "SECRET_KEY must be set to a random string of 32 characters or more "
            f"{SEE_DOCS}, or run `undersigned demo` first for a local instance",
        ),
        (
            {"SECRET_KEY": "too-short"},
            f"SECRET_KEY must be set to a random string of 32 characters or more {SEE_DOCS}",
        ),
        (
            {"SECRET_KEY_FALLBACKS": f"{'k' * 40}, too-short"},
            "SECRET_KEY_FALLBACKS must list earlier secret keys of 32 characters or more, "
            f"separated by commas {SEE_DOCS}",
        ),
        (
            {"ALLOWED_HOSTS": None},
            f"ALLOWED_HOSTS must list the host names this instance answers to {SEE_DOCS}",
        ),
        (
            {"ALLOWED_HOSTS": " , "},
            f"ALLOWED_HOSTS must list the host names this instance answers to {SEE_DOCS}",
        ),
        (
            {"SITE_URL": "letters.example"},
            f"SITE_URL must be an absolute http(s) URL, e.g. https://letters.example {SEE_DOCS}",
        ),
        (
            {"TRUSTED_PROXIES": "not-a-network"},
            f"TRUSTED_PROXIES: 'not-a-network' is not an IP address or network {SEE_DOCS}",
        ),
        ({"DEBUG": "perhaps"}, f"DEBUG must be true or false, not 'perhaps' {SEE_DOCS}"),
        ({"EMAIL_URL": "smtp://"}, f"EMAIL_URL needs a host, e.g. smtp://127.0.0.1:25 {SEE_DOCS}"),
        (
            # The password in the URL must not be repeated on the console.
            {"DATABASE_URL": "postgres://user:hunter2@db:port/name"},
            "DATABASE_URL must be a database URL, e.g. "
            f"postgres://user:password@127.0.0.1:5432/name {SEE_DOCS}",
        ),
        (
            {"ORGANIZERS_REQUIRE_2FA": "always"},
            f"ORGANIZERS_REQUIRE_2FA must be true or false, not 'always' {SEE_DOCS}",
        ),
        (
            {"LOG_LEVEL": "verbose"},
            f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'verbose' {SEE_DOCS}",
        ),
    ],
)
def test_production_settings_refuse_to_start_on_bad_environment(
    tmp_path: Path, overrides: dict[str, str | None], line: str
) -> None:
    result = check_deploy(production_env(tmp_path, **overrides))
    assert (result.returncode, result.stderr.splitlines()) == (2, [f"undersigned: {line}"])


@pytest.mark.parametrize(("value", "expected"), [(None, "False"), ("true", "True")])
def test_organizers_require_2fa_read_from_environment(
    tmp_path: Path, value: str | None, expected: str
) -> None:
    env = production_env(tmp_path, ORGANIZERS_REQUIRE_2FA=value)
    result = subprocess.run(
        [
            str(COMMAND),
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings as s; print(s.ORGANIZERS_REQUIRE_2FA)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, expected)


def test_abuse_limits_read_from_environment(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        SIGNING_STARTS_PER_ADDRESS="40",
        SIGNING_ADDRESS_WINDOW_SECONDS="120",
        SIGNING_UNCONFIRMED_PER_LETTER="0",
        SIGNING_CHALLENGE_COST="9",
    )
    shown = (
        "from django.conf import settings as s; print(s.RATE_LIMITS['signing-start'], "
        "s.RATE_LIMITS['signing-confirm'], s.SIGNING_UNCONFIRMED_PER_LETTER, "
        "s.SIGNING_UNCONFIRMED_PER_ADDRESS, s.SIGNING_CHALLENGE_COST)"
    )
    result = subprocess.run(
        [str(COMMAND), "shell", "--no-imports", "-c", shown],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "(40, 120) (3000, 120) 0 100 9")
