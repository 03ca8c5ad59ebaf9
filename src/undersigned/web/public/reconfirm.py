"""Signing the new version of an amended letter, from the link in the message that asked."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from undersigned.accounts.permissions import access_public_letter
from undersigned.letters.models import LetterVersion
from undersigned.letters.states import SIGNABLE_STATES
from undersigned.signing import services
from undersigned.signing.errors import Closed, NothingToReconfirm, SigningError
from undersigned.web.public.signing_common import attempt, letter_context, problem


@never_cache
@require_http_methods(["GET", "POST"])
def reconfirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows the change and a button (mail scanners open links); POST moves the signature."""
    context = letter_context(request, access_public_letter(slug=slug))
    letter = context["letter"]
    if request.method == "GET":
        if letter.state not in SIGNABLE_STATES:
            return problem(request, context, Closed())
        signature = services.reconfirm_pending(letter=letter, token=token)
        if signature is None:
            return problem(request, context, NothingToReconfirm())
        amendment = LetterVersion.objects.filter(letter=letter, number=letter.version).first()
        context.update(signature=signature, token=token, amendment=amendment)
        return render(request, "signing/reconfirm.html", context)
    outcome = attempt(
        request,
        "signing-confirm",
        lambda: services.signature_reconfirm(letter=letter, token=token),
    )
    if isinstance(outcome, SigningError):
        return problem(request, context, outcome)
    return render(request, "signing/receipt.html", {**context, "receipt": outcome})
