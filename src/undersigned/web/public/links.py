"""The link in every code message: /c/<token>/ names no letter, and its token finds the request.

GET only shows what pressing the button will do (mail scanners open links, people press); the
POST signs or withdraws, and pressed again after a lost response, shows the same outcome.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from undersigned.signing import selectors, services
from undersigned.signing.errors import InvalidLink, SigningError
from undersigned.signing.models import Purpose
from undersigned.web.public.signing_common import (
    attempt_confirm,
    letter_context,
    problem,
)


@never_cache
@require_http_methods(["GET", "POST"])
def mailbox_link(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.link_request(token=token)
    if found is None:
        return render(request, "signing/link_invalid.html", {"error": InvalidLink()}, status=404)
    context = letter_context(request, found.letter)
    withdrawing = found.purpose == Purpose.WITHDRAW
    if request.method == "GET":
        page = "signing/withdraw_link.html" if withdrawing else "signing/confirm.html"
        return render(request, page, {**context, "pending": found, "token": token})
    if withdrawing:
        withdrawn = attempt_confirm(
            request,
            found.letter,
            lambda: services.signature_withdraw_with_link(token=token),
            once=lambda _: f"withdraw-link:{token}",
        )
        if isinstance(withdrawn, SigningError):
            return problem(request, context, withdrawn)
        return render(request, "signing/withdrawn.html", {**context, "withdrawn_on": withdrawn[1]})
    signed = attempt_confirm(
        request,
        found.letter,
        lambda: services.signing_confirm_link(token=token),
        once=lambda outcome: outcome[1].secret,
    )
    if isinstance(signed, SigningError):
        return problem(request, context, signed)
    return render(request, "signing/receipt.html", {**context, "receipt": signed[1]})
