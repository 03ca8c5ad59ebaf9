"""Organizer pages for delivery: its status, "deliver now" with a confirmation step, resending.

Every member of a letter may look; only owners deliver or resend.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.accounts.models import Role, User
from undersigned.accounts.permissions import NotFound, access_letter, access_role, role_allows
from undersigned.delivery.selectors import delivery_of, delivery_status
from undersigned.delivery.services import delivery_request, delivery_resend
from undersigned.letters.states import DELIVERABLE_STATES, State
from undersigned.web.manage.forms_accounts import submit
from undersigned.web.manage.forms_delivery import DeliverNowForm


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required has run


@login_required
@require_safe
def status(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    letter = access_letter(user=user, slug=slug)
    current = delivery_status(letter=letter)
    context = {
        "letter": letter,
        "state": State(letter.state),
        "status": current,
        "is_owner": role_allows(access_role(user=user, letter=letter), Role.OWNER),
        "can_deliver": letter.state in DELIVERABLE_STATES,
    }
    return render(request, "delivery/status.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def deliver_now(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.OWNER)
    form = DeliverNowForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        done = submit(form, lambda: delivery_request(letter=letter, user=_user(request)))
        if done is not None:
            messages.success(request, "The letter is closed and will be delivered in a moment.")
            return redirect("delivery_manage:status", slug=letter.slug)
    return render(request, "delivery/confirm.html", {"letter": letter, "form": form})


@login_required
@require_POST
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.OWNER)
    delivery = delivery_of(letter=letter)
    if delivery is None:
        raise NotFound()
    try:
        delivery_resend(delivery=delivery)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The message to the recipient will be sent again.")
    return redirect("delivery_manage:status", slug=letter.slug)
