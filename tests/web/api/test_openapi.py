"""The OpenAPI document at /api/v1/openapi.json is served and describes the letters API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def document(client: Client) -> Any:
    response = client.get("/api/v1/openapi.json")
    assert (response.status_code, response["Content-Type"].split(";")[0]) == (
        200,
        "application/json",
    )
    return response.json()


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


def test_openapi_document_is_openapi_3(document: Any) -> None:
    assert (document["openapi"].split(".")[0], document["info"]["version"]) == ("3", "1")


def test_openapi_lists_letter_paths(document: Any) -> None:
    letters = {
        path: sorted(operations)
        for path, operations in document["paths"].items()
        if path in {"/api/v1/letters/{slug}", "/api/v1/letters/{slug}/count"}
    }
    assert letters == {"/api/v1/letters/{slug}": ["get"], "/api/v1/letters/{slug}/count": ["get"]}


def test_openapi_every_reference_resolves(document: Any) -> None:
    schemas = document["components"]["schemas"]
    unresolved = [
        ref for ref in refs(document) if ref.removeprefix("#/components/schemas/") not in schemas
    ]
    assert unresolved == []


def test_openapi_every_operation_has_responses(document: Any) -> None:
    missing = [
        f"{method} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if not operation.get("responses")
    ]
    assert missing == []


def test_openapi_letter_responses_documented(document: Any) -> None:
    detail = document["paths"]["/api/v1/letters/{slug}"]["get"]["responses"]
    assert {
        status: body["content"]["application/json"]["schema"] for status, body in detail.items()
    } == {
        "200": {"$ref": "#/components/schemas/LetterOut"},
        "404": {"$ref": "#/components/schemas/ErrorOut"},
    }


def test_openapi_letter_schema_fields(document: Any) -> None:
    letter = document["components"]["schemas"]["LetterOut"]
    assert sorted(letter["properties"]) == sorted(
        [
            "slug", "state", "default_language", "languages", "texts", "goal", "opens_at",
            "deadline", "deliver_at", "demands", "addenda", "version", "versions", "counts",
            "delivery", "log_url", "verifier_key",
            "issuance_key", "token_challenge",
        ]
    )  # fmt: skip


@pytest.mark.parametrize("field", ["log_url", "verifier_key"])
def test_openapi_log_fields_documented_as_null_before_opening(document: Any, field: str) -> None:
    letter = document["components"]["schemas"]["LetterOut"]
    schema = letter["properties"][field]
    assert (
        schema["anyOf"],
        schema["description"].endswith("null before the letter opens."),
        letter["required"].count(field),
    ) == ([{"type": "string"}, {"type": "null"}], True, 1)


def test_openapi_error_schema(document: Any) -> None:
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert (sorted(detail["properties"]), sorted(detail["required"])) == (
        ["code", "message"],
        ["code", "message"],
    )


@pytest.mark.parametrize(
    ("field", "says"),
    [
        ("issuance_key", "Base64 SPKI (RSASSA-PSS, SHA-384) of the letter's blind-signature"),
        ("token_challenge", "Base64 RFC 9577 TokenChallenge that the letter's anonymous tokens"),
    ],
)
def test_openapi_issuance_fields_documented(document: Any, field: str, says: str) -> None:
    schema = document["components"]["schemas"]["LetterOut"]["properties"][field]
    assert (schema["anyOf"], schema["description"][: len(says)]) == (
        [{"type": "string"}, {"type": "null"}],
        says,
    )


def test_openapi_operation_ids_stay_as_published(document: Any) -> None:
    ids = sorted(
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    )
    assert ids == [
        "undersigned_letters_api_letter_count",
        "undersigned_letters_api_letter_detail",
        "undersigned_letters_api_letter_version",
        "undersigned_publiclog_api_log_cosign",
        "undersigned_publiclog_api_log_detail",
        "undersigned_publiclog_api_log_proof",
        "undersigned_signing_api_anonymous_anonymous_signature",
        "undersigned_signing_api_anonymous_token_issue",
        "undersigned_signing_api_confirm",
        "undersigned_signing_api_signatories",
        "undersigned_signing_api_start",
        "undersigned_signing_api_withdraw",
        "undersigned_signing_api_withdraw_start",
    ]
