"""gunicorn's logger for `undersigned serve`: its error log redacted, no access log at all.

gunicorn writes "Invalid request from ip=<client>: <what the client sent>" for every malformed
request, and its access log holds every client's address and path. `undersigned serve` passes
`--logger-class undersigned.common.gunicornlog.Logger`, so neither reaches a log, whatever
GUNICORN_CMD_ARGS or a configuration file adds.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from undersigned.common.logs import RedactFilter


class Logger(glogging.Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactFilter) for f in handler.filters):
                    handler.addFilter(RedactFilter())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """An access line is a client's address and path: none is written."""

    def _compute_access_log_enabled(self) -> bool:
        return False  # gunicorn then skips building the line at all
