"""What the signing pages share: the page language, rate limits, and error rendering."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from undersigned.common.ratelimit import client_of, hit_client, retry_after
from undersigned.letters.models import Letter, LetterText
from undersigned.letters.presentation import direction, title_in
from undersigned.signing import budget
from undersigned.signing.challenge import challenge_json
from undersigned.signing.errors import ChallengeRequired, LetterAmended, RateLimited, SigningError
from undersigned.signing.inputs import VERSION_MAX, SignerDetails
from undersigned.signing.services import Requested

T = TypeVar("T")


def letter_context(request: HttpRequest, letter: Letter) -> dict[str, Any]:
    """The letter's title in the page language (?lang=, else the browser's, else the default)."""
    titles = dict(LetterText.objects.filter(letter=letter).values_list("language", "title"))
    wanted = request.GET.get("lang") or request.POST.get("language") or ""
    browser = getattr(request, "LANGUAGE_CODE", "")
    language = next((code for code in (wanted, browser) if code in titles), letter.default_language)
    return {
        "letter": letter,
        "language": language,
        "letter_title": title_in(
            titles, language=language, default=letter.default_language, slug=letter.slug
        ),
        "letter_dir": direction(language),
    }


def attempt(request: HttpRequest, limit: str, action: Callable[[], T]) -> T | SigningError:
    """Run a service behind the client rate limit; its refusal comes back as a value to render."""
    try:
        if not hit_client(limit, request):
            raise RateLimited().after(retry_after(limit))
        return action()
    except SigningError as exc:
        return exc


def attempt_start(
    request: HttpRequest, letter: Letter, action: Callable[[], T]
) -> T | SigningError:
    """attempt() for a start that mails a mailbox: within the letter's and the address's
    budgets of unconfirmed messages, or with the solved challenge the form carries."""
    return attempt(
        request,
        "signing-start",
        lambda: budget.admitted(
            letter_id=letter.pk,
            client=client_of(request),
            solution=request.POST.get("altcha", ""),
            action=action,
        ),
    )


def attempt_confirm(
    request: HttpRequest, letter: Letter, action: Callable[[], T], once: Callable[[T], str]
) -> T | SigningError:
    """attempt() for a confirmation by mailbox: once it succeeds, its message no longer counts
    as unconfirmed; `once` names the confirmation, so a repeat of it gives nothing back."""
    outcome = attempt(request, "signing-confirm", action)
    if not isinstance(outcome, SigningError):
        budget.confirmation_credit(
            letter_id=letter.pk, client=client_of(request), once=once(outcome)
        )
    return outcome


def challenge_context(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """The page's challenge for the widget, when the next start will need one."""
    due = budget.challenge_due(letter_id=context["letter"].pk, client=client_of(request))
    return {"challenge": challenge_json()} if due else {}


def form_refused(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    form: forms.Form,
    error: SigningError | None = None,
    field: str | None = None,
) -> HttpResponse:
    """Re-render a form with its errors and a 4xx status that says what went wrong."""
    status = 400
    if error is not None:
        form.add_error(field if error.status == 422 else None, error.message)
        status = error.status
    if isinstance(error, ChallengeRequired):
        # The refusal's own challenge: the widget solves it while the reader looks.
        context = {**context, "challenge": json.dumps(error.challenge, separators=(",", ":"))}
    return retry_header(render(request, template, {**context, "form": form}, status=status), error)


def problem(request: HttpRequest, context: dict[str, Any], error: SigningError) -> HttpResponse:
    page = render(request, "signing/problem.html", {**context, "error": error}, status=error.status)
    return retry_header(page, error)


def retry_header(response: HttpResponse, error: SigningError | None) -> HttpResponse:
    if error is not None and error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def read_version(request: HttpRequest, context: dict[str, Any]) -> int:
    """The letter version the reader saw: the letter page's sign links carry it as ?v=."""
    raw = request.GET.get("v", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 7 and 1 <= int(raw) <= VERSION_MAX:
        return int(raw)
    return int(context["letter"].version)


def refresh_version(form: forms.Form, error: SigningError, context: dict[str, Any]) -> None:
    """After "the letter was amended", the form shown again carries the current version, so
    sending it once more (having read the new text) signs that."""
    if isinstance(error, LetterAmended):
        form.data = {**form.data, "version": str(context["letter"].version)}


_SEAL = "undersigned.signing.request"


def request_seal(details: SignerDetails, *, updates: bool) -> str:
    """What the signer asked for, signed, for the code form's hidden field: confirming with the
    code then signs this, not whatever a later start for the same mailbox left on its row."""
    return signing.dumps({**details.fields(), "tier": details.tier, "updates": updates}, salt=_SEAL)


def request_open(sealed: str) -> Requested | None:
    """The request a code form carries, or None (a form without one confirms the row's)."""
    if not sealed:
        return None
    try:
        data = signing.loads(sealed, salt=_SEAL, max_age=settings.SIGNING_CODE_TTL_SECONDS * 2)
        details = SignerDetails(**{k: str(v) for k, v in data.items() if k != "updates"})
        return Requested(details=details, updates=data.get("updates") is True)
    except (signing.BadSignature, TypeError, AttributeError):
        return None
