"""The redacting log filter: paths become route names, addresses and client quotations go."""

from __future__ import annotations

import io
import ipaddress
import logging
import sys
import time
from collections.abc import Iterator

import pytest
from gunicorn.config import Config
from hypothesis import given
from hypothesis import strategies as st

from undersigned.common.gunicornlog import Logger
from undersigned.common.logs import RedactFilter, redact

TOKEN = "tokencanary4b8e1f"


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler carries the filter, as every configured handler does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("tests.common.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_redact_token_path_becomes_route_name() -> None:
    assert redact(f"Forbidden (CSRF cookie not set.): /c/{TOKEN}/") == (
        "Forbidden (CSRF cookie not set.): [mailbox_link]"
    )


def test_redact_unknown_path_and_query_become_placeholder() -> None:
    assert redact(f"Not Found: /nowhere/{TOKEN}?t={TOKEN}") == "Not Found: [path]"


def test_redact_url_keeps_origin_not_path() -> None:
    text = f"Referer checking failed - https://evil.example/accounts/invitations/{TOKEN}/ does not"
    assert redact(text) == (
        "Referer checking failed - https://evil.example[accounts:invitation] does not"
    )


def test_redact_times_and_counts_stay() -> None:
    text = "outbox message 12 failed (attempt 3) at 22:47:14.5, next in 0.5 s"
    assert redact(text) == text


def test_redact_quoted_client_text_only_when_asked() -> None:
    text = f"Invalid HTTP Header: 'X-Key: {TOKEN}'"
    assert (redact(text), redact(text, quoted=True)) == (text, "Invalid HTTP Header: '[redacted]'")


SEPARATORS = st.sampled_from([" ", "=", "(", ")", "'", '"', ",", ": ", "[", "]", "/", "\n", ""])


@given(
    address=st.ip_addresses(),
    port=st.none() | st.integers(min_value=1, max_value=65535),
    before=SEPARATORS,
    after=SEPARATORS,
    words=st.text(alphabet="abcdefghij klmnop", max_size=20),
)
def test_redact_any_address_in_any_sentence_goes(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    port: int | None,
    before: str,
    after: str,
    words: str,
) -> None:
    shown = str(address)
    if port is not None:
        shown = f"{shown}:{port}" if address.version == 4 else f"[{shown}]:{port}"
    text = f"{words}{before}{shown}{after}{words}"

    assert str(address) not in redact(text)


def test_filter_formats_arguments_and_redacts_traceback(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    try:
        raise ValueError(f"no letter at /l/demo/sign/reconfirm/{TOKEN}/ for 127.0.0.9")
    except ValueError:
        logger.exception("Error handling request %s from %s", f"/x/{TOKEN}", "::ffff:127.0.0.9")

    lines = stream.getvalue().splitlines()
    assert (lines[0], lines[-1]) == (
        "Error handling request [path] from [address]",
        "ValueError: no letter at [signing:reconfirm] for [address]",
    )
    # The frames keep their file names, so the traceback still says where.
    assert lines[2] == f'  File "{__file__}", line {lines[2].rsplit("line ", 1)[1]}'


def test_filter_second_handler_sees_the_same_clean_record(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    other = io.StringIO()
    second = logging.StreamHandler(other)
    second.addFilter(RedactFilter())
    logger.addHandler(second)
    try:
        logger.warning("from %s", "10.1.2.3")
    finally:
        logger.removeHandler(second)

    assert (stream.getvalue(), other.getvalue()) == ("from [address]\n", "from [address]\n")


def test_gunicorn_logger_never_writes_access_lines_even_when_configured() -> None:
    config = Config()
    config.set("accesslog", "-")
    config.set("errorlog", "-")
    logger = Logger(config)

    assert (logger.access_log_enabled, logger.access_log.handlers[0].stream) == (False, sys.stdout)
    filters = [type(f) for h in logger.error_log.handlers for f in h.filters]
    assert filters == [RedactFilter]


@pytest.mark.parametrize("filler", ["a", "ab:", "1.", "/", "'", "http"])
def test_redact_long_hostile_line_takes_one_pass(filler: str) -> None:
    text = filler * 20_000 + " from 10.9.8.7"
    started = time.monotonic()

    redacted = redact(text, quoted=True)

    assert ("10.9.8.7" in redacted, time.monotonic() - started < 2.0) == (False, True)
