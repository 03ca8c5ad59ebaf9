"""The public log in the HTTP API: its head and counts, inclusion proofs, witness cosignatures."""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema

from undersigned.accounts.permissions import access_public_log
from undersigned.common.errors import ApiError
from undersigned.letters.models import Letter
from undersigned.publiclog import selectors, services

router = Router(tags=["log"])
_HEX64 = re.compile(r"[0-9a-f]{64}")


class LogOut(Schema):
    url: str
    origin: str
    vkey: str
    size: int
    root: str
    counts: dict[str, int]
    total: int
    pending: int
    checkpoint: str


class CosignIn(Schema):
    cosignatures: str


class CosignOut(Schema):
    checkpoint: str


def _letter(slug: str) -> Letter:
    try:
        return access_public_log(slug=slug)
    except Http404 as exc:
        raise ApiError(404, "not_found", "There is no such letter.") from exc


def _no_log() -> ApiError:
    return ApiError(404, "no_log", "This letter's log starts with its first signature.")


@router.get("/{slug}/log", response=LogOut, summary="The letter's public log")
def log_detail(request: HttpRequest, response: HttpResponse, slug: str) -> dict[str, Any]:
    summary = selectors.log_summary(letter=_letter(slug))
    if summary is None:
        raise _no_log()
    response["Cache-Control"] = "public, max-age=5"
    return summary


@router.get("/{slug}/log/proof", summary="A tlog-proof for one entry (text)")
def log_proof(
    request: HttpRequest, slug: str, index: int | None = None, leaf_hash: str | None = None
) -> HttpResponse:
    letter = _letter(slug)
    if (index is None) == (leaf_hash is None):
        raise ApiError(422, "invalid_input", "Give either index or leaf_hash (64 hex digits).")
    if leaf_hash is not None:
        if not _HEX64.fullmatch(leaf_hash):
            raise ApiError(422, "invalid_input", "leaf_hash must be 64 lower-case hex digits.")
        index = selectors.entry_index(letter_id=letter.pk, leaf_hash_hex=leaf_hash)
    text = None if index is None else selectors.log_proof(letter_id=letter.pk, index=index)
    if text is None:
        raise ApiError(404, "not_in_log", "The log's latest checkpoint has no such entry (yet).")
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@router.post("/{slug}/log/cosignatures", response=CosignOut, summary="Add witness cosignatures")
def log_cosign(request: HttpRequest, slug: str, body: CosignIn) -> dict[str, Any]:
    letter = _letter(slug)
    if selectors.log_state(letter_id=letter.pk) is None:
        raise _no_log()
    # A rejected cosignature is a ServiceError (422 cosignature_rejected), answered by the API.
    text = services.log_cosign(letter=letter, cosignatures=body.cosignatures[:20_000])
    return {"checkpoint": text}
