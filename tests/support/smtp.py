"""A real SMTP server for tests, and helpers to read what it received."""

from __future__ import annotations

import asyncio
import errno
import re
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "message has no text/plain part"
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None, "message has no text/html part"
        return str(part.get_content())

    def code(self) -> str:
        """The verification code, on a line beginning 'Code: ' (docs/design.md section 8d)."""
        match = re.search(r"^Code: (\S+)\r?$", self.text(), re.MULTILINE)
        assert match is not None, "no 'Code: ' line in the message"
        return match.group(1)

    def link(self, contains: str) -> str:
        match = re.search(r"https?://\S*" + re.escape(contains) + r"\S*", self.text())
        assert match is not None, f"no link containing {contains!r}"
        return match.group(0)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.sink.rcpt_seen.set()
        # Poll, so that a test can release a held client by setting rcpt_delay back to 0.
        held_until = time.monotonic() + self.sink.rcpt_delay
        while self.sink.rcpt_delay and time.monotonic() < held_until:
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        with self.sink.lock:
            self.sink.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.delay = delay
        # Holding a client at RCPT lets a test kill it in the middle of a send.
        self.rcpt_delay = 0.0
        self.rcpt_seen = threading.Event()
        self.port = _free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        # A port found free can be taken before the server binds it: by a test in another pytest
        # worker (-n) or another run on this machine. Then another port is tried.
        for attempt in range(5):
            try:
                self._controller.start()
            except OSError as exc:
                self._controller.loop.close()
                if exc.errno != errno.EADDRINUSE or attempt == 4:
                    raise
                self.port = _free_port()
                self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            else:
                return self
        raise AssertionError("unreachable")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, address: str, *, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Wait until `count` messages reached `address`; bounded in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(self.to(address))} of {count} messages reached {address}")
