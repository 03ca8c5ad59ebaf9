"""What the signing pages share: the page language, rate limits, and error rendering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from undersigned.common.ratelimit import hit_client
from undersigned.letters.models import Letter, LetterText
from undersigned.letters.presentation import direction, title_in
from undersigned.signing.errors import LetterAmended, RateLimited, SigningError
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
            raise RateLimited()
        return action()
    except SigningError as exc:
        return exc


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
    return render(request, template, {**context, "form": form}, status=status)


def problem(request: HttpRequest, context: dict[str, Any], error: SigningError) -> HttpResponse:
    return render(request, "signing/problem.html", {**context, "error": error}, status=error.status)


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
