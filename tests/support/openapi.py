"""The API's operations as its OpenAPI document lists them, for tests that cover every endpoint."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.test import Client


@cache
def document() -> Any:
    return Client().get("/api/v1/openapi.json").json()


def body_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation that takes a request body, `{slug}` left in the path."""
    return sorted(
        (method.upper(), path)
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    )


def operation_id(operation: tuple[str, str]) -> str:
    """A short test id: `POST /signatures` for `POST /api/v1/letters/{slug}/signatures`."""
    method, path = operation
    return f"{method} {path.removeprefix('/api/v1/letters/{slug}')}"
