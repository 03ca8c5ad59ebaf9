"""Withdrawing a signature on the web: with the receipt, or with the mailbox and a code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from undersigned.accounts.permissions import access_public_letter
from undersigned.signing import services
from undersigned.signing.budget import withdrawal_once
from undersigned.signing.errors import SigningError
from undersigned.web.public import forms_signing as forms
from undersigned.web.public.signing_common import (
    attempt,
    attempt_confirm,
    attempt_start,
    challenge_context,
    form_refused,
    letter_context,
    retry_header,
)

_PAGE = "signing/withdraw.html"
_CODE = "signing/withdraw_code.html"


def _forms(language: str) -> dict[str, object]:
    return {
        "receipt_form": forms.ReceiptForm(),
        "email_form": forms.WithdrawStartForm(initial={"language": language}),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: both ways to withdraw. POST: withdraw with a receipt."""
    context = letter_context(request, access_public_letter(slug=slug))
    context.update(_forms(context["language"]))
    if request.method == "GET":
        return render(request, _PAGE, {**context, **challenge_context(request, context)})
    form = forms.ReceiptForm(request.POST)
    context["receipt_form"] = form
    if not form.is_valid():
        return render(request, _PAGE, context, status=400)
    outcome = attempt(
        request,
        "signing-confirm",
        lambda: services.signature_withdraw(
            letter=context["letter"], receipt_secret=form.cleaned_data["receipt_secret"]
        ),
    )
    if isinstance(outcome, SigningError):
        form.add_error(None, outcome.message)
        return retry_header(render(request, _PAGE, context, status=outcome.status), outcome)
    return render(request, "signing/withdrawn.html", {**context, "withdrawn_on": outcome})


@never_cache
@require_http_methods(["POST"])
def withdraw_email(request: HttpRequest, slug: str) -> HttpResponse:
    context = letter_context(request, access_public_letter(slug=slug))
    context.update(_forms(context["language"]))
    form = forms.WithdrawStartForm(request.POST)
    context["email_form"] = form
    if not form.is_valid():
        return render(request, _PAGE, context, status=400)
    email = form.cleaned_data["email"]
    outcome = attempt_start(
        request,
        context["letter"],
        lambda: services.withdrawal_start(
            letter=context["letter"], email=email, language=context["language"]
        ),
    )
    if isinstance(outcome, SigningError):
        form.add_error("email" if outcome.status == 422 else None, outcome.message)
        context.update(challenge_context(request, context))
        page = render(request, _PAGE, context, status=outcome.status)
        return retry_header(page, outcome)
    return render(request, _CODE, {**context, "form": forms.CodeForm(initial={"email": email})})


@never_cache
@require_http_methods(["POST"])
def withdraw_code(request: HttpRequest, slug: str) -> HttpResponse:
    context = letter_context(request, access_public_letter(slug=slug))
    form = forms.CodeForm(request.POST)
    if not form.is_valid():
        return form_refused(request, _CODE, context, form)
    outcome = attempt_confirm(
        request,
        context["letter"],
        lambda: services.signature_withdraw_with_code(
            letter=context["letter"],
            email=form.cleaned_data["email"],
            code=form.cleaned_data["code"],
        ),
        once=lambda _: withdrawal_once(context["letter"], form.cleaned_data["email"]),
    )
    if isinstance(outcome, SigningError):
        return form_refused(request, _CODE, context, form, outcome)
    return render(request, "signing/withdrawn.html", {**context, "withdrawn_on": outcome})
