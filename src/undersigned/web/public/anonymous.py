"""Anonymous signing pages: verify, make a token in the browser, sign with it now or later.

The token itself can only be made by the page's script (or `undersigned sign --anonymous`): the
blinding happens on the signer's side. Signing with a token is an ordinary form that works
without JavaScript, so a token copied earlier can be used from any browser.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from undersigned.accounts.permissions import access_public_letter
from undersigned.letters.states import SIGNABLE_STATES
from undersigned.signing import selectors, services
from undersigned.signing.errors import SigningError
from undersigned.signing.inputs import SignerDetails
from undersigned.signing.models import Tier
from undersigned.web.public import forms_anonymous as forms
from undersigned.web.public.signing_common import (
    attempt,
    attempt_start,
    challenge_context,
    form_refused,
    letter_context,
)

_START = "signing/anonymous_start.html"
_ISSUE = "signing/anonymous_token.html"
_REDEEM = "signing/anonymous_redeem.html"


def _context(request: HttpRequest, slug: str) -> dict[str, Any]:
    context = letter_context(request, access_public_letter(slug=slug))
    letter = context["letter"]
    context["tokens"] = selectors.token_counts(letter_id=letter.pk)
    context["letter_url"] = request.build_absolute_uri(f"/l/{letter.slug}/")
    if request.method == "GET" and letter.state in SIGNABLE_STATES:
        # Letters opened before anonymous signing existed get their key on the first visit,
        # before any script asks for it.
        services.anonymous_open(letter=letter)
    return context


def _token_page(
    request: HttpRequest, context: dict[str, Any], mode: str, form: Any, status: int = 200
) -> HttpResponse:
    return render(request, _ISSUE, {**context, "mode": mode, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    context = _context(request, slug)
    if request.method == "GET":
        form = forms.AnonymousStartForm(initial={"language": context["language"]})
        return render(
            request, _START, {**context, **challenge_context(request, context), "form": form}
        )
    form = forms.AnonymousStartForm(request.POST)
    context.update(challenge_context(request, context))
    if not form.is_valid():
        return form_refused(request, _START, context, form)
    email = form.cleaned_data["email"]
    outcome = attempt_start(
        request,
        context["letter"],
        lambda: services.signing_start(
            letter=context["letter"],
            email=email,
            details=SignerDetails(tier=Tier.ANONYMOUS),
            updates=False,
            language=context["language"],
        ),
    )
    if isinstance(outcome, SigningError):
        return form_refused(request, _START, context, form, outcome, field="email")
    # Rendered, not redirected: the address travels only in this page's form.
    return _token_page(request, context, "email", forms.TokenCodeForm(initial={"email": email}))


@never_cache
@require_http_methods(["GET", "POST"])
def token(request: HttpRequest, slug: str) -> HttpResponse:
    """The page whose script makes the token; a POST means the script did not run."""
    context = _context(request, slug)
    mode = "invite" if request.GET.get("with") == "invite" else "email"
    form = forms.TokenInviteForm() if mode == "invite" else forms.TokenCodeForm()
    if request.method == "GET":
        return _token_page(request, context, mode, form)
    # Nothing is used up: without the script there is no blinded request to sign.
    context["no_script"] = True
    return _token_page(request, context, mode, form, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest, slug: str) -> HttpResponse:
    context = _context(request, slug)
    if request.method == "GET":
        form = forms.RedeemForm(initial={"language": context["language"]})
        return render(request, _REDEEM, {**context, "form": form})
    form = forms.RedeemForm(request.POST)
    if not form.is_valid():
        return form_refused(request, _REDEEM, context, form)
    outcome = attempt(
        request,
        "signing-redeem",
        lambda: services.anonymous_signature_redeem(
            letter=context["letter"],
            token=form.cleaned_data["token"],
            department=form.cleaned_data["department"],
        ),
    )
    if isinstance(outcome, SigningError):
        return form_refused(request, _REDEEM, context, form, outcome, field="token")
    return render(request, "signing/anonymous_receipt.html", {**context, "receipt": outcome})
