"""Anonymous signing through the public API (docs/design.md sections 6b and 8b).

POST .../tokens blind-signs a token request for a verified mailbox (email and the code from a
POST .../signatures with tier "anonymous") or an invite code; POST .../anonymous-signatures
signs with the finished token. Binary fields are base64 (either alphabet, padding optional).
"""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status

from undersigned.common.errors import ApiError
from undersigned.crypto import tokens
from undersigned.signing import inputs, services
from undersigned.signing.services.anonymous import AnonymousReceipt
from undersigned.web.api.signing import SignatureOut, api_letter, api_run

router = Router(tags=["anonymous signing"])
T = TypeVar("T")


class TokenIn(Schema):
    email: str | None = None
    code: str | None = None
    invite_code: str | None = None
    token_request: str


class TokenOut(Schema):
    token_response: str


class RedeemIn(Schema):
    token: str
    department: str | None = None


class AnonymousReceiptOut(Schema):
    receipt_secret: str
    signature: SignatureOut
    entry: str
    leaf_hash: str
    log_url: str


def _decoded(value: str, *, field: str, code: str, max_bytes: int) -> bytes:
    try:
        return inputs.clean_base64(value, field=field, max_bytes=max_bytes)
    except ValidationError as exc:
        raise ApiError(422, code, " ".join(exc.messages)) from exc


@router.post("/{slug}/tokens", response={200: TokenOut}, summary="Get an anonymous token signed")
def token_issue(request: HttpRequest, slug: str, body: TokenIn) -> dict[str, str]:
    letter = api_letter(slug)

    def act() -> dict[str, str]:
        mailbox = (body.email, body.code)
        by_invite = body.invite_code is not None
        if (by_invite and mailbox != (None, None)) or (not by_invite and None in mailbox):
            raise ApiError(422, "invalid_input", "Send either email and code, or invite_code.")
        request_bytes = _decoded(
            body.token_request,
            field="token request",
            code="invalid_token_request",
            max_bytes=tokens.TOKEN_REQUEST_LEN,
        )
        if body.invite_code is not None:
            response = services.token_issue_with_invite(
                letter=letter, invite_code=body.invite_code, token_request=request_bytes
            )
        else:
            try:
                code = inputs.clean_code(body.code or "")
            except ValidationError as exc:
                raise ApiError(422, "invalid_input", " ".join(exc.messages)) from exc
            response = services.token_issue(
                letter=letter, email=body.email or "", code=code, token_request=request_bytes
            )
        return {"token_response": base64.b64encode(response).decode("ascii")}

    return api_run(request, "signing-confirm", act)


def _receipt(receipt: AnonymousReceipt) -> dict[str, Any]:
    return {
        "receipt_secret": receipt.secret,
        "signature": {"tier": receipt.tier, "signed_on": receipt.signed_on},
        **receipt.log.as_dict(),
    }


@router.post(
    "/{slug}/anonymous-signatures",
    response={201: AnonymousReceiptOut},
    summary="Sign with an anonymous token",
)
def anonymous_signature(request: HttpRequest, slug: str, body: RedeemIn) -> Status[dict[str, Any]]:
    letter = api_letter(slug)

    def act() -> Status[dict[str, Any]]:
        token = _decoded(
            body.token, field="token", code="invalid_token", max_bytes=tokens.TOKEN_LEN
        )
        try:
            department = inputs.clean_department(body.department)
        except ValidationError as exc:
            raise ApiError(422, "invalid_input", "department: " + " ".join(exc.messages)) from exc
        receipt = services.anonymous_signature_redeem(
            letter=letter, token=token, department=department
        )
        return Status(201, _receipt(receipt))

    return api_run(request, "signing-redeem", act)
