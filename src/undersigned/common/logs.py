"""What a log line may say: no client address, no URL path or query (docs/threat-model.md).

Paths carry confirmation, reconfirmation, unsubscribe, invitation and password-reset tokens;
a logged token could be replayed by whoever reads the log. `RedactFilter` sits on every handler
the project configures (settings LOGGING, gunicorn's handlers through common/gunicornlog.py,
waitress through the root logger) and rewrites each record before any handler writes it: paths
become the name of the URL pattern they match, IP addresses become `[address]`, and what servers
quote from a client's request (a malformed request line, a header, a Host) becomes `'[redacted]'`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from urllib.parse import urlsplit

ADDRESS = "[address]"
PATH = "[path]"
QUOTED_TEXT = "'[redacted]'"

# Loggers whose messages quote what a client sent (gunicorn's "Invalid request ... 'GET /x'",
# Django's "Invalid HTTP_HOST header: 'x'"): the quoted part is dropped, not just scrubbed.
CLIENT_QUOTING = ("gunicorn", "waitress", "django.request", "django.security", "django.server")

# Each pattern starts only where its run starts (the lookbehinds), so that a long line without
# a match costs one pass, not one pass per character.
_URL = re.compile(
    r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*://[^\s/?#'\"<>]*)([/?#][^\s'\"<>]*)?"
)
# A path starts a word: not a slash inside a word, a URL's `//`, or a `host:port/`.
_PATH = re.compile(r"(?<![\w.~:/%-])/[^\s'\"<>]*")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
# Candidates only; ipaddress decides. Times such as 22:47:14 are candidates and stay.
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:.])[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_LONGEST_RUN = 100


def _route(path: str) -> str:
    """The URL pattern's name in brackets, so a log still says which page, but not whose."""
    from django.apps import apps

    if not apps.ready:  # gunicorn's master process never loads the URLconf
        return PATH
    from django.urls import resolve

    try:
        match = resolve(urlsplit(path).path or "/")
    # Whatever the path does to the resolver (404, a bad percent-escape), the answer is [path].
    except Exception:  # noqa: BLE001
        return PATH
    return f"[{match.view_name}]" if match.view_name else PATH


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ipv6(match: re.Match[str]) -> str:
    """The run with every address inside it replaced; the run may hold more than an address:
    a hex word before it ("a1000::"), a port or the sentence's colon after it."""
    text = match.group(0)
    if len(text) > _LONGEST_RUN:
        return ADDRESS  # no address is this long, but one may hide inside: drop it all
    out, start = [], 0
    while start < len(text):
        end = next((e for e in range(len(text), start, -1) if _is_address(text[start:e])), 0)
        if end:
            out.append(ADDRESS)
            start = end
        else:
            out.append(text[start])
            start += 1
    return "".join(out)


def redact_addresses(text: str) -> str:
    return _IPV4.sub(ADDRESS, _IPV6.sub(_ipv6, text))


def redact(text: str, *, quoted: bool = False) -> str:
    """`text` without URL paths, queries or IP addresses; with `quoted`, without quotations."""
    if quoted:
        text = _QUOTED.sub(QUOTED_TEXT, text)
    text = _URL.sub(lambda m: m.group(1) + (_route(m.group(2)) if m.group(2) else ""), text)
    text = _PATH.sub(lambda m: _route(m.group(0)), text)
    return redact_addresses(text)


def redact_traceback(text: str, *, quoted: bool = False) -> str:
    """Indented lines are frames (file paths, source code, carets): only addresses go there.
    The others, the exception messages, may quote a request and are redacted in full."""
    return "\n".join(
        redact_addresses(line) if line[:1].isspace() else redact(line, quoted=quoted)
        for line in text.split("\n")
    )


class RedactFilter(logging.Filter):
    """Rewrites every record it sees (never drops one), for every handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "undersigned_redacted", False):
            return True  # a record reaching a second handler is already clean
        quoted = record.name.startswith(CLIENT_QUOTING)
        record.msg = redact(record.getMessage(), quoted=quoted)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_traceback(record.exc_text, quoted=quoted)
        if record.stack_info:
            record.stack_info = redact_traceback(record.stack_info, quoted=quoted)
        record.undersigned_redacted = True
        return True


def handlers_adopt() -> None:
    """Put the filter on every handler a library added to its own logger at import (pyasn1,
    imported with the passkey library, adds a StreamHandler), which the settings' LOGGING,
    applied before the apps load, could not reach."""
    loggers = [logging.getLogger(), *logging.root.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if not any(isinstance(f, RedactFilter) for f in handler.filters):
                handler.addFilter(RedactFilter())
