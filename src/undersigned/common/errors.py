"""The API's error type, importable by every app without importing the API object itself."""

from __future__ import annotations


class ApiError(Exception):
    """Becomes {"error": {"code": code, "message": message}} with `status` (a 4xx)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
