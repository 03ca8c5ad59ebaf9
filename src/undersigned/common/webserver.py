"""How both web servers treat connections: waitress reads each request whole before a thread
runs it, so slow or silent clients cost a socket, never a thread (docs/operations.md).

`undersigned demo` serves with waitress alone. `undersigned serve` keeps gunicorn for what it
does well, the processes (how many, restarts, signals, its redacted error log), and passes
`--worker-class undersigned.common.webserver.WaitressWorker`: each process serves its share of
the listening socket with waitress's event loop. gunicorn's own threaded worker lends a thread
to each new connection and waits there up to 5 seconds for its first bytes, then reads the rest
of the request in that thread for as long as it takes: 200 silent or trickling connections
from one address held every thread, and everyone else waited (issue 12).
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from typing import Any

from gunicorn.workers import base

# Open connections per process, idle ones included; past it, new ones wait in the backlog.
CONNECTION_LIMIT = 1000
# File descriptors a process needs besides its clients' sockets (database, files, listeners).
_OTHER_DESCRIPTORS = 128
# An idle connection is closed after between CHANNEL_TIMEOUT and CHANNEL_TIMEOUT +
# CLEANUP_INTERVAL seconds without a byte either way.
CHANNEL_TIMEOUT = 30
CLEANUP_INTERVAL = 10
# A request line and its headers together; browsers send about 1 KiB to this site.
MAX_HEADER_BYTES = 8192


def connection_limit(wanted: int) -> int:
    """`wanted`, when the file-descriptor limit has room for it (raised up to the hard limit
    if need be), else as many as it has room for: past it, accept() would fail in a loop."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + _OTHER_DESCRIPTORS
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return wanted
    if hard == resource.RLIM_INFINITY or hard >= needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return wanted
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return max(hard - _OTHER_DESCRIPTORS, 1)


def waitress_options(*, threads: int, connections: int) -> dict[str, Any]:
    """waitress's settings for either server; Django's settings must be loaded."""
    from django.conf import settings

    # waitress reads a body whole (to a temporary file past 512 KiB) before the application
    # sees it. Twice the largest body a view accepts: the near misses still get the site's
    # own "too large" page, and nobody can make it store a gigabyte (waitress's default).
    largest_body = settings.ADDENDUM_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return {
        "threads": threads,
        "connection_limit": connection_limit(connections),
        "channel_timeout": CHANNEL_TIMEOUT,
        "cleanup_interval": CLEANUP_INTERVAL,
        # select() fails past descriptor 1023; poll() has no such limit.
        "asyncore_use_poll": True,
        "max_request_header_size": MAX_HEADER_BYTES,
        # A head over the limit then arrives in one read, and its 431 is not lost to a reset
        # for bytes left unread.
        "recv_bytes": 65536,
        "max_request_body_size": 2 * largest_body,
        "ident": "undersigned",
    }


class WaitressWorker(base.Worker):  # type: ignore[misc]
    """A gunicorn worker process that serves with waitress (threads: gunicorn's --threads,
    connections: its --worker-connections, backlog: its --backlog)."""

    def run(self) -> None:
        from django.urls import get_resolver
        from waitress import wasyncore
        from waitress.server import create_server

        # Importing every view takes about a second: before the first connection, not during.
        get_resolver().url_patterns  # noqa: B018 -- reading them is what imports them
        socket_map: dict[int, Any] = {}
        server = create_server(
            self.wsgi,
            map=socket_map,
            sockets=[listener.sock for listener in self.sockets],
            backlog=self.cfg.backlog,
            # X-Forwarded-For and -Proto reach the application, which believes them only from
            # TRUSTED_PROXIES (common/middleware.py), as under gunicorn's own workers.
            clear_untrusted_proxy_headers=False,
            **waitress_options(threads=self.cfg.threads, connections=self.cfg.worker_connections),
        )
        notified = 0.0
        while self.alive:
            # Under load the loop turns for every event: the heartbeat needs far fewer calls.
            if time.monotonic() - notified >= 0.5:
                if self.ppid != os.getppid():
                    break
                self.notify()
                self._drain_signal_pipe()
                notified = time.monotonic()
            wasyncore.loop(timeout=1.0, map=socket_map, use_poll=True, count=1)
        self._finish(socket_map, server)

    def _drain_signal_pipe(self) -> None:
        """gunicorn writes a byte to this pipe on each signal; nothing else reads it here."""
        with contextlib.suppress(BlockingIOError):
            os.read(self.PIPE[0], 4096)

    def _finish(self, socket_map: dict[int, Any], server: Any) -> None:
        """Stop accepting, then answer the requests already read, for at most the graceful
        timeout; idle connections are just closed."""
        from waitress import wasyncore
        from waitress.channel import HTTPChannel
        from waitress.server import BaseWSGIServer

        for dispatcher in list(socket_map.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                dispatcher.accepting = False  # its readable() is then false: no accept()

        def busy() -> bool:
            return any(
                channel.requests or channel.total_outbufs_len
                for channel in list(socket_map.values())
                if isinstance(channel, HTTPChannel)
            )

        deadline = time.monotonic() + self.cfg.graceful_timeout
        while busy() and time.monotonic() < deadline:
            self.notify()
            wasyncore.loop(timeout=0.2, map=socket_map, use_poll=True, count=1)
        server.task_dispatcher.shutdown(timeout=max(deadline - time.monotonic(), 1))
        wasyncore.close_all(socket_map)
