"""Signing through the public API (docs/design.md section 8b).

The receipt keeps the keys "entry", "leaf_hash" and "log_url" so clients can rely on its shape;
they are null until the public log exists. Withdrawal by mailbox takes two calls: POST
.../withdrawals/start with the email (202, identical whether or not it signed; the message
carries a code only if there is something to withdraw), then POST .../withdrawals with the
email and that code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from undersigned.accounts.permissions import access_public_letter
from undersigned.common.errors import ApiError
from undersigned.common.ratelimit import client_of, hit_client, retry_after
from undersigned.letters.models import Letter
from undersigned.signing import budget, inputs, selectors, services
from undersigned.signing.errors import RateLimited
from undersigned.signing.models import Tier

router = Router(tags=["signing"])
T = TypeVar("T")

ACCEPTED = {
    "status": "accepted",
    "message": "If this mailbox can sign this letter, a message is on its way to it. "
    "It holds a code, or says why no code is needed.",
}


class StartIn(Schema):
    email: str | None = None
    invite_code: str | None = None
    tier: str = ""
    name: str | None = None
    title: str | None = None
    department: str | None = None
    location: str | None = None
    updates: bool = False
    language: str | None = None
    # The letter version the signer read (the letter API's `version`); omitted means current.
    version: int | None = None
    # A solved proof-of-work challenge, when a 428 asked for one (docs/design.md section 8b).
    altcha: str | None = None


class ConfirmIn(Schema):
    email: str
    code: str


class WithdrawStartIn(Schema):
    email: str
    language: str | None = None
    altcha: str | None = None


class WithdrawIn(Schema):
    receipt_secret: str | None = None
    email: str | None = None
    code: str | None = None


class AcceptedOut(Schema):
    status: str
    message: str


class SignatureOut(Schema):
    tier: str
    signed_on: date


class ReceiptOut(Schema):
    receipt_secret: str
    signature: SignatureOut
    # The log entry as canonical JSON text, its RFC 9162 leaf hash (hex), and the log's URL:
    # enough to check inclusion with `undersigned verify URL --receipt FILE` once sequenced.
    entry: str
    leaf_hash: str
    log_url: str


class WithdrawnOut(Schema):
    status: str
    withdrawn_on: date


class SignatoryOut(Schema):
    name: str
    title: str
    department: str
    location: str
    signed_on: date


class SignatoriesOut(Schema):
    page: int
    page_size: int
    has_next: bool
    total: int
    signatories: list[SignatoryOut]


def api_letter(slug: str) -> Letter:
    """The public letter, or the API's 404 (the same for missing and hidden letters)."""
    try:
        return access_public_letter(slug=slug)
    except Http404 as exc:
        raise ApiError(404, "not_found", "There is no such letter.") from exc


def api_run(request: HttpRequest, limit: str, action: Callable[[], T]) -> T:
    """Rate-limit, run, and turn our errors into the API's error format."""
    try:
        if not hit_client(limit, request):
            raise RateLimited().after(retry_after(limit))
        return action()
    except ValidationError as exc:
        raise ApiError(422, "invalid_input", _messages(exc)) from exc


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def _receipt(receipt: services.Receipt) -> dict[str, Any]:
    return {
        "receipt_secret": receipt.secret,
        "signature": {"tier": receipt.tier, "signed_on": receipt.signed_on},
        **receipt.log.as_dict(),
    }


@router.post(
    "/{slug}/signatures", response={201: ReceiptOut, 202: AcceptedOut}, summary="Start signing"
)
def start(request: HttpRequest, slug: str, body: StartIn) -> Status[dict[str, Any]]:
    letter = api_letter(slug)

    def act() -> Status[dict[str, Any]]:
        if (body.email is None) == (body.invite_code is None):
            raise ApiError(422, "invalid_input", "Send either email or invite_code (not both).")
        fields = {"name": body.name, "title": body.title, "department": body.department}
        fields["location"] = body.location
        details = inputs.clean_signer(tier=body.tier, fields=fields)
        version = inputs.clean_version(body.version)
        if body.invite_code is not None:
            receipt = services.signing_with_invite(
                letter=letter, invite_code=body.invite_code, details=details, version=version
            )
            return Status(201, _receipt(receipt))
        language = inputs.clean_language(body.language, default=letter.default_language)
        budget.admitted(
            letter_id=letter.pk,
            client=client_of(request),
            solution=body.altcha or "",
            action=lambda: services.signing_start(
                letter=letter,
                email=body.email or "",
                details=details,
                updates=body.updates,
                language=language,
                version=version,
            ),
        )
        return Status(202, ACCEPTED)

    return api_run(request, "signing-start", act)


@router.post("/{slug}/signatures/confirm", response={201: ReceiptOut}, summary="Confirm a code")
def confirm(request: HttpRequest, slug: str, body: ConfirmIn) -> Status[dict[str, Any]]:
    letter = api_letter(slug)

    def act() -> Status[dict[str, Any]]:
        code = inputs.clean_code(body.code)
        receipt = services.signing_confirm(letter=letter, email=body.email, code=code)
        budget.confirmation_credit(
            letter_id=letter.pk, client=client_of(request), once=receipt.secret
        )
        return Status(201, _receipt(receipt))

    return api_run(request, "signing-confirm", act)


@router.post(
    "/{slug}/withdrawals/start", response={202: AcceptedOut}, summary="Mail a withdrawal code"
)
def withdraw_start(
    request: HttpRequest, slug: str, body: WithdrawStartIn
) -> Status[dict[str, Any]]:
    letter = api_letter(slug)

    def act() -> Status[dict[str, Any]]:
        language = inputs.clean_language(body.language, default=letter.default_language)
        budget.admitted(
            letter_id=letter.pk,
            client=client_of(request),
            solution=body.altcha or "",
            action=lambda: services.withdrawal_start(
                letter=letter, email=body.email, language=language
            ),
        )
        return Status(202, ACCEPTED)

    return api_run(request, "signing-start", act)


@router.post("/{slug}/withdrawals", response={200: WithdrawnOut}, summary="Withdraw a signature")
def withdraw(request: HttpRequest, slug: str, body: WithdrawIn) -> dict[str, Any]:
    letter = api_letter(slug)

    def act() -> dict[str, Any]:
        if body.receipt_secret is not None and body.email is None and body.code is None:
            secret = inputs.clean_receipt_secret(body.receipt_secret)
            on = services.signature_withdraw(letter=letter, receipt_secret=secret)
        elif body.receipt_secret is None and body.email is not None and body.code is not None:
            code = inputs.clean_code(body.code)
            on = services.signature_withdraw_with_code(letter=letter, email=body.email, code=code)
            budget.confirmation_credit(
                letter_id=letter.pk,
                client=client_of(request),
                once=budget.withdrawal_once(letter, body.email),
            )
        else:
            raise ApiError(422, "invalid_input", "Send either receipt_secret, or email and code.")
        return {"status": "withdrawn", "withdrawn_on": on}

    return api_run(request, "signing-confirm", act)


@router.get("/{slug}/signatories", response=SignatoriesOut, summary="Public signatories")
def signatories(request: HttpRequest, slug: str, page: int = 1) -> dict[str, Any]:
    letter = api_letter(slug)
    if not 1 <= page <= selectors.MAX_PAGE:
        raise ApiError(422, "invalid_input", f"page must be between 1 and {selectors.MAX_PAGE}.")
    found = selectors.public_signatories(letter_id=letter.pk, page=page)
    return {
        "page": found.number,
        "page_size": selectors.PAGE_SIZE,
        "has_next": found.has_next,
        "total": selectors.letter_counts(letter_id=letter.pk).per_tier[Tier.PUBLIC],
        "signatories": found.rows,
    }
