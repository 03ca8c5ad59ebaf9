"""Organizers' second factors: the code asked after the password, and the pages to set them up."""

from __future__ import annotations

from typing import cast

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from undersigned.accounts.models import User
from undersigned.accounts.twofactor import (
    ACCOUNT_LIMIT,
    CODE_MAX,
    LastFactorRequired,
    SecondFactorWrong,
    TotpAlreadyEnrolled,
    recovery_codes_replace,
    second_factor_remove,
    second_factor_verify,
    sign_in_completed,
    sign_in_failed,
    sign_in_locked,
    totp_device_confirm,
    totp_device_start,
    totp_secret_text,
    two_factor_enrolled,
    two_factor_summary,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def account_locked_minutes() -> int:
    return max(1, settings.RATE_LIMITS[ACCOUNT_LIMIT][1] // 60)


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


def session_verified(request: HttpRequest) -> bool:
    """Whether this session gave a second factor (django-otp's middleware sets is_verified)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified is not None and verified())


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required has run


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, a recovery code, or a passkey."""
    user = _user(request)
    target = _next(request)
    if session_verified(request) or not two_factor_enrolled(user=user):
        return redirect(target)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if sign_in_locked(email=user.email):
        form = CodeForm()
        status = 429
    elif form.is_valid():
        try:
            device = second_factor_verify(user=user, code=form.cleaned_data["code"])
        except SecondFactorWrong as error:
            sign_in_failed(email=user.email)
            form.add_error("code", gettext(error.message))
        else:
            otp_login(request, device)
            sign_in_completed(email=user.email)
            return redirect(target)
    context = {
        "form": form,
        "next": target,
        "locked": account_locked_minutes() if status == 429 else None,
        "summary": two_factor_summary(user=user),
    }
    return render(request, "accounts/two_factor_verify.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """What protects the account now, and where to add more."""
    user = _user(request)
    summary = two_factor_summary(user=user)
    context = {
        "summary": summary,
        "required": settings.ORGANIZERS_REQUIRE_2FA and not summary.enrolled,
        "next": _next(request),
    }
    return render(request, "accounts/two_factor.html", context)


def _qr_data_uri(text: str) -> str:
    # Drawn here, as a data: image: the secret never goes to a QR service, and CSP allows data:.
    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=2))


@never_cache  # the page holds the key: no browser or proxy cache may keep it
@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Show a key (as a QR code and as text), take one code from the app, then recovery codes."""
    user = _user(request)
    try:
        device = totp_device_start(user=user)
    except TotpAlreadyEnrolled as error:
        messages.info(request, gettext(error.message))
        return redirect("accounts:two_factor")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            confirmed, codes = totp_device_confirm(user=user, code=form.cleaned_data["code"])
        except SecondFactorWrong as error:
            form.add_error("code", gettext(error.message))
        else:
            if not session_verified(request):
                otp_login(request, confirmed)
            context = {"codes": codes, "next": _next(request), "first": True}
            return render(request, "accounts/recovery_codes.html", context)
    context = {
        "form": form,
        "qr": _qr_data_uri(device.config_url),
        "secret": totp_secret_text(device),
        "next": _next(request),
    }
    return render(request, "accounts/totp_setup.html", context)


@never_cache
@login_required
@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not two_factor_enrolled(user=user):
        return redirect("accounts:two_factor")
    codes = recovery_codes_replace(user=user)
    context = {"codes": codes, "next": resolve_url(settings.LOGIN_REDIRECT_URL), "first": False}
    return render(request, "accounts/recovery_codes.html", context)


@login_required
@require_POST
def second_factor_delete(request: HttpRequest, passkey_id: int | None = None) -> HttpResponse:
    """Turn the app off, or remove one passkey (the gate has made sure the session is verified)."""
    try:
        second_factor_remove(
            user=_user(request), passkey_id=passkey_id, required=settings.ORGANIZERS_REQUIRE_2FA
        )
    except LastFactorRequired as error:
        messages.error(request, gettext(error.message))
    else:
        messages.success(
            request,
            gettext("The authenticator app is removed.")
            if passkey_id is None
            else gettext("The passkey is removed."),
        )
    return redirect("accounts:two_factor")
