"""Strict parsing of the environment: a typo in production must stop the server, not be ignored."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return number


def env_list(name: str) -> list[str]:
    value = env_str(name, "") or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network") from exc
    return networks


def data_dir() -> Path:
    return Path(env_str("UNDERSIGNED_DATA_DIR", ".undersigned") or ".undersigned").resolve()


# The settings `undersigned demo` ran with, in its data folder, for every later command.
DEMO_ENV = "demo.env"


def write_env_file(path: Path, values: Mapping[str, str], comment: str) -> None:
    """NAME=value lines, readable only by their owner: the file holds SECRET_KEY."""
    lines = [f"# {comment}"]
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            raise ImproperlyConfigured(f"{name} must not contain a line break")
        lines.append(f"{name}={value}")
    partial = path.with_name(path.name + ".partial")
    # Created with its final mode and swapped in whole, so no reader sees a secret half-written.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("\n".join(lines) + "\n")
    partial.replace(path)


def read_env_file(path: Path) -> dict[str, str]:
    """What write_env_file wrote; blank lines and # comments are skipped, values are verbatim."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value")
        values[name.strip()] = value
    return values


def load_demo_env() -> Path | None:
    """Fill the environment from the demo's settings file, if that is what this command runs on.

    Only when SECRET_KEY is not in the environment: whoever sets it configures an instance
    themselves, and a demo file must not fill in what they forgot. Variables set in the
    environment win over the file's, one by one. Returns the file used, if any.
    """
    if env_str("SECRET_KEY") is not None:
        return None
    folder = data_dir()
    path = folder / DEMO_ENV
    if not path.is_file():
        return None
    for name, value in read_env_file(path).items():
        if env_str(name) is None:
            os.environ[name] = value
    # The same folder, made absolute: found from the working directory, it must stay found.
    os.environ["UNDERSIGNED_DATA_DIR"] = str(folder)
    return path


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


def parse_email_url(url: str) -> EmailConfig:
    """EMAIL_URL: smtp://host:port, smtp+tls://user:pw@host:port, smtps://..., console:, file:///dir."""
    if url == "console:":
        return EmailConfig(backend="django.core.mail.backends.console.EmailBackend")
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured("EMAIL_URL file:///folder needs a folder")
        return EmailConfig(
            backend="django.core.mail.backends.filebased.EmailBackend", file_path=parts.path
        )
    if parts.scheme in {"smtp", "smtp+tls", "smtps"}:
        if not parts.hostname:
            raise ImproperlyConfigured("EMAIL_URL needs a host, e.g. smtp://127.0.0.1:25")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError as exc:
            raise ImproperlyConfigured("EMAIL_URL has an invalid port") from exc
        return EmailConfig(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            use_tls=parts.scheme == "smtp+tls",
            use_ssl=parts.scheme == "smtps",
        )
    raise ImproperlyConfigured(
        "EMAIL_URL must be smtp://, smtp+tls://, smtps://, console: or file:///folder"
    )
