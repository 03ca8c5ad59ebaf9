"""The gate between a password and the console: what a session without a second factor reaches.

A session whose password was right but whose second factor was not yet given (the organizer has
one) reaches only the pages that finish signing in, and logout. With ORGANIZERS_REQUIRE_2FA, a
session of an organizer who has none reaches only the pages that set one up. Everything else,
console or not, redirects there: the gate lists what is open, never what is closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from undersigned.accounts.twofactor import two_factor_enrolled
from undersigned.web.manage.twofactor import session_verified

_ALWAYS_OPEN = frozenset({"accounts:logout", "otp_webauthn:js-i18n-catalog"})
_TO_VERIFY = frozenset(
    {
        "accounts:two_factor_verify",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
    }
)
_TO_ENROL = frozenset(
    {
        "accounts:two_factor",
        "accounts:totp_setup",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
    }
)


def _to(name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


class TwoFactorGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or session_verified(request):
            return None
        name = request.resolver_match.view_name if request.resolver_match else ""
        if name in _ALWAYS_OPEN or request.path.startswith(settings.STATIC_URL or "/static/"):
            return None
        if two_factor_enrolled(user=user):
            return None if name in _TO_VERIFY else _to("accounts:two_factor_verify", request)
        if settings.ORGANIZERS_REQUIRE_2FA and name not in _TO_ENROL:
            return _to("accounts:two_factor", request)
        return None
