"""Signing pages: start by email or invite code, confirm, receipt, withdraw, signatories."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from undersigned.accounts.permissions import access_public_letter
from undersigned.signing import selectors, services, tiers
from undersigned.signing.errors import SigningError
from undersigned.web.public import forms_signing as forms
from undersigned.web.public.signing_common import (
    attempt,
    attempt_confirm,
    attempt_start,
    challenge_context,
    form_refused,
    letter_context,
    read_version,
    refresh_version,
    request_open,
    request_seal,
)

_SIGN = "signing/start.html"


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    context = letter_context(request, access_public_letter(slug=slug))
    context["tiers"] = tiers.SELECTABLE_TIERS
    if request.method == "GET":
        initial = {"language": context["language"], "version": read_version(request, context)}
        form = forms.EmailStartForm(initial=initial)
        return render(
            request, _SIGN, {**context, **challenge_context(request, context), "form": form}
        )
    form = forms.EmailStartForm(request.POST)
    context.update(challenge_context(request, context))
    if not form.is_valid():
        return form_refused(request, _SIGN, context, form)
    email = form.cleaned_data["email"]
    outcome = attempt_start(
        request,
        context["letter"],
        lambda: services.signing_start(
            letter=context["letter"],
            email=email,
            details=form.details,
            updates=form.cleaned_data["updates"],
            language=context["language"],
            version=form.cleaned_data["version"],
        ),
    )
    if isinstance(outcome, SigningError):
        refresh_version(form, outcome, context)
        return form_refused(request, _SIGN, context, form, outcome, field="email")
    # Rendered, not redirected: the address travels only in this page's hidden field.
    sealed = request_seal(form.details, updates=form.cleaned_data["updates"])
    code_form = forms.CodeForm(initial={"email": email, "request": sealed})
    return render(request, "signing/check_email.html", {**context, "form": code_form})


@never_cache
@require_http_methods(["POST"])
def confirm_code(request: HttpRequest, slug: str) -> HttpResponse:
    context = letter_context(request, access_public_letter(slug=slug))
    form = forms.CodeForm(request.POST)
    if not form.is_valid():
        return form_refused(request, "signing/check_email.html", context, form)
    outcome = attempt_confirm(
        request,
        context["letter"],
        lambda: services.signing_confirm(
            letter=context["letter"],
            email=form.cleaned_data["email"],
            code=form.cleaned_data["code"],
            requested=request_open(form.cleaned_data["request"]),
        ),
        once=lambda receipt: receipt.secret,
    )
    if isinstance(outcome, SigningError):
        return form_refused(request, "signing/check_email.html", context, form, outcome)
    return render(request, "signing/receipt.html", {**context, "receipt": outcome})


@never_cache
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    context = letter_context(request, access_public_letter(slug=slug))
    context["tiers"] = tiers.SELECTABLE_TIERS
    if request.method == "GET":
        initial = {"language": context["language"], "version": read_version(request, context)}
        form = forms.InviteForm(initial=initial)
        return render(request, "signing/invite.html", {**context, "form": form})
    form = forms.InviteForm(request.POST)
    if not form.is_valid():
        return form_refused(request, "signing/invite.html", context, form)
    outcome = attempt(
        request,
        "signing-confirm",
        lambda: services.signing_with_invite(
            letter=context["letter"],
            invite_code=form.cleaned_data["invite_code"],
            details=form.details,
            version=form.cleaned_data["version"],
        ),
    )
    if isinstance(outcome, SigningError):
        refresh_version(form, outcome, context)
        return form_refused(request, "signing/invite.html", context, form, outcome, "invite_code")
    return render(request, "signing/receipt.html", {**context, "receipt": outcome})


def signatories(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_public_letter(slug=slug)
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    context = letter_context(request, letter)
    context.update(
        page=selectors.public_signatories(letter_id=letter.pk, page=number),
        counts=selectors.letter_counts(letter_id=letter.pk),
        tokens=selectors.token_counts(letter_id=letter.pk),
        breakdown=selectors.department_breakdown(letter_id=letter.pk),
    )
    return render(request, "signing/signatories.html", context)
