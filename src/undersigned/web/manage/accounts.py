"""Organizer accounts: login, password reset, and invitations by link. No open registration."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from undersigned.accounts.models import Invitation, User
from undersigned.accounts.permissions import NotFound, access_can_invite_organizers
from undersigned.accounts.selectors import account_exists, invitation_usable
from undersigned.accounts.services import InvitationInvalid, invitation_accept, invitation_create
from undersigned.accounts.twofactor import (
    sign_in_completed,
    sign_in_failed,
    sign_in_locked,
    two_factor_enrolled,
)
from undersigned.common.ratelimit import hit_client
from undersigned.web.manage.forms_accounts import (
    EmailAuthenticationForm,
    InvitationAcceptForm,
    InviteForm,
    add_service_error,
    submit,
)
from undersigned.web.manage.twofactor import account_locked_minutes


def _limited(view: auth_views.LoginView | auth_views.PasswordResetView) -> HttpResponse:
    """The form again, unbound (so nothing is checked), with a notice to wait."""
    minutes = settings.RATE_LIMITS["login"][1] // 60
    context = view.get_context_data(form=view.get_form_class()(), limited=minutes)
    return view.render_to_response(context, status=429)


def _posted_account(request: HttpRequest) -> str:
    return str(request.POST.get("username", ""))


class LoginView(auth_views.LoginView):
    """The password step. Per address (`login`) and per account (`login-account`) limits apply;
    an account with a second factor goes on to the code page, the session not yet verified."""

    template_name = "accounts/login.html"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not hit_client("login", request):
            return _limited(self)
        if sign_in_locked(email=_posted_account(request)):
            # Refused before the password is checked: a right guess must not show as different.
            form = self.get_form_class()()
            context = self.get_context_data(form=form, locked=account_locked_minutes())
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        account = _posted_account(self.request)
        if account.strip():
            sign_in_failed(email=account)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if two_factor_enrolled(user=user):
            # The failures stay counted until the second factor is given too.
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")
        sign_in_completed(email=_posted_account(self.request))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, with our templates; the message goes out through the outbox."""

    template_name = "accounts/password_reset_form.html"
    subject_template_name = "mail/password_reset/subject.txt"
    email_template_name = "mail/password_reset/body.txt"
    html_email_template_name = "mail/password_reset/body.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Shares the login budget: both are ways into an organizer's account, and each reset
        # sends mail.
        if not hit_client("login", request):
            return _limited(self)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # Links in the message use SITE_URL, never the Host header a client sent.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


def _situation(invitation: Invitation, user: User | None) -> str:
    if user is None:
        return "log_in" if account_exists(email=invitation.email) else "new_account"
    return "accept" if user.email == invitation.email else "wrong_account"


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: a new account for the invited email, or a membership for it."""
    found = invitation_usable(token=token)
    if found is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    situation = _situation(found, user)
    posted = request.method == "POST"
    form = InvitationAcceptForm(request.POST if posted and situation == "new_account" else None)
    if posted and (situation == "accept" or form.is_valid()):
        data = form.cleaned_data if form.is_bound else {}
        try:
            organizer = invitation_accept(
                token=token,
                user=user,
                display_name=data.get("display_name", ""),
                password=data.get("password", ""),
            )
        except InvitationInvalid:
            return render(request, "accounts/invitation_invalid.html", status=404)
        except ValidationError as error:
            if form.is_bound:
                add_service_error(form, error)
            else:
                messages.error(request, " ".join(error.messages))
        else:
            if user is None:
                login(request, organizer, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! The invitation is accepted.")
            if found.letter is not None:
                return redirect("manage:letter", slug=found.letter.slug)
            return redirect("manage:home")
    context = {
        "invitation": found,
        "situation": situation,
        "form": form,
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.path})}",
    }
    return render(request, "accounts/invitation.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organizer_invite(request: HttpRequest) -> HttpResponse:
    """Instance admins invite organizers who may start letters of their own."""
    user = cast(User, request.user)
    if not access_can_invite_organizers(user=user):
        raise NotFound()
    form = InviteForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        email = form.cleaned_data["email"]
        link = submit(form, lambda: invitation_create(email=email, invited_by=user))
        if link is not None:
            messages.success(request, f"An invitation is on its way to {link.invitation.email}.")
            return redirect("manage:home")
    return render(request, "accounts/invite.html", {"form": form})
