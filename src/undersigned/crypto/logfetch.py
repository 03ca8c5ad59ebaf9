"""Reading a tlog-tiles log from an http(s) URL or a directory copy, with bounded reads.

Used by `undersigned verify` (crypto/verify.py); no Django imports. Every read has a size limit
and every network request a timeout, so a hostile server can make a check fail but not hang it or
exhaust memory.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from .tiles import MAX_ENTRY_SIZE, TILE_WIDTH, TileRef, decode_bundle, encode_bundle

__all__ = [
    "MAX_CHECKPOINT",
    "DirectorySource",
    "FetchError",
    "HttpSource",
    "Source",
    "open_source",
]

MAX_CHECKPOINT = 64 * 1024
MAX_VKEY = 4 * 1024
MAX_HASH_TILE = TILE_WIDTH * 32
MAX_BUNDLE = TILE_WIDTH * (2 + MAX_ENTRY_SIZE)
TIMEOUT = 30.0
USER_AGENT = "undersigned-verify/1"


class FetchError(Exception):
    """A resource could not be read; ``missing`` when the log said it does not exist."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def _limit(path: str) -> int:
    if path == "checkpoint":
        return MAX_CHECKPOINT
    if path == "vkey":
        return MAX_VKEY
    return MAX_BUNDLE if path.startswith("tile/entries/") else MAX_HASH_TILE


class Source:
    """Where a log's resources come from; ``fetch`` returns the bytes at a tlog-tiles path."""

    location: str

    def fetch(self, path: str) -> bytes:
        raise NotImplementedError

    def fetch_tile(self, ref: TileRef) -> bytes:
        """A tile, falling back to a prefix of the full tile if the partial one is gone."""
        try:
            return self.fetch(ref.path)
        except FetchError as exc:
            if not (exc.missing and ref.is_partial):
                raise
        full_ref = TileRef(ref.level, ref.index)
        try:
            full = self.fetch(full_ref.path)
        except FetchError as exc:
            if not exc.missing:
                raise
            raise FetchError(
                f"{ref.path}: not found at {self.location} (nor the full tile {full_ref.path})",
                missing=True,
            ) from exc
        if ref.level is None:
            return encode_bundle(decode_bundle(full)[: ref.width])
        return full[: ref.width * 32]

    def fetch_tiles(self, refs: Iterable[TileRef]) -> Iterator[bytes]:
        """Tiles in the order given; sources that can, fetch several at once."""
        for ref in refs:
            yield self.fetch_tile(ref)

    def close(self) -> None:
        return None


class DirectorySource(Source):
    """A directory with the same layout as the URL: checkpoint, vkey, tile/..."""

    def __init__(self, path: Path) -> None:
        self.root = path.resolve()
        self.location = str(self.root)

    def fetch(self, path: str) -> bytes:
        target = (self.root / path).resolve()
        if self.root not in target.parents:
            raise FetchError(f"{path}: outside the log directory")
        limit = _limit(path)
        try:
            with target.open("rb") as handle:
                data = handle.read(limit + 1)
        except FileNotFoundError as exc:
            raise FetchError(f"{path}: no such file in {self.root}", missing=True) from exc
        except OSError as exc:
            raise FetchError(f"{path}: cannot read: {exc.strerror}") from exc
        if len(data) > limit:
            raise FetchError(f"{path}: larger than the {limit}-byte limit")
        return data


class HttpSource(Source):
    """A log served over http(s); one persistent connection per thread, a few threads."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT, workers: int = 8) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise FetchError(f"{url!r} is not an http(s) URL")
        if parts.query or parts.fragment:
            raise FetchError(f"{url!r}: the log URL must not have a query or fragment")
        self.location = url if url.endswith("/") else url + "/"
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self._prefix = parts.path.rstrip("/") + "/"
        self._timeout = timeout
        self._workers = workers
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._scheme == "https":
                conn = http.client.HTTPSConnection(
                    self._netloc, timeout=self._timeout, context=ssl.create_default_context()
                )
            else:
                conn = http.client.HTTPConnection(self._netloc, timeout=self._timeout)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _get(self, path: str) -> tuple[int, str, bytes]:
        limit = _limit(path)
        conn = self._connection()
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity"}
        conn.request("GET", self._prefix + path, headers=headers)
        response = conn.getresponse()
        raw = self._read_body(conn, response, path, limit)
        encoding = (response.getheader("Content-Encoding") or "identity").lower()
        if encoding == "gzip" and response.status == 200:
            inflater = zlib.decompressobj(wbits=31)
            raw = inflater.decompress(raw, limit + 1)
            if len(raw) > limit or inflater.unconsumed_tail:
                raise FetchError(f"{path}: response inflates past the {limit}-byte limit")
        elif encoding != "identity":
            raise FetchError(f"{path}: unsupported Content-Encoding {encoding!r}")
        return response.status, response.reason, raw

    def _read_body(
        self,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        path: str,
        limit: int,
    ) -> bytes:
        # The socket timeout bounds each read; the deadline bounds a server that trickles.
        deadline = time.monotonic() + 2 * self._timeout
        chunks: list[bytes] = []
        total = 0
        while chunk := response.read1(65536):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                conn.close()
                raise FetchError(f"{path}: response larger than the {limit}-byte limit")
            if time.monotonic() > deadline:
                conn.close()
                raise FetchError(f"{path}: the server is too slow to answer")
        return b"".join(chunks)

    def fetch(self, path: str) -> bytes:
        for attempt in (1, 2):
            try:
                status, reason, data = self._get(path)
                break
            except (http.client.HTTPException, OSError) as exc:
                # A kept-alive connection the server closed fails once; a fresh one may not.
                self._local.conn = None
                if attempt == 2:
                    raise FetchError(f"{path}: {self.location} is unreachable: {exc}") from exc
        if status == 404:
            raise FetchError(f"{path}: not found at {self.location}", missing=True)
        if status != 200:
            raise FetchError(f"{path}: the server answered {status} {reason}")
        return data

    def fetch_tiles(self, refs: Iterable[TileRef]) -> Iterator[bytes]:
        # A bounded window of requests in flight: enough to hide latency, without holding a
        # whole million-entry log in memory ahead of the checker.
        window = self._workers * 4
        with ThreadPoolExecutor(self._workers) as pool:
            pending: deque[Future[bytes]] = deque()
            for ref in refs:
                pending.append(pool.submit(self.fetch_tile, ref))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


def open_source(location: str) -> Source:
    """An http(s) URL, or else a path to a directory copy (as written by `log-export`)."""
    if location.startswith(("http://", "https://")):
        return HttpSource(location)
    path = Path(location)
    if not path.is_dir():
        raise FetchError(f"{location!r} is neither an http(s) URL nor a directory")
    return DirectorySource(path)
