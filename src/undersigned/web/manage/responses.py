"""Organizers record the recipient's answer to each demand; every member may read them."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from undersigned.accounts.models import Role, User
from undersigned.accounts.permissions import access_letter, access_role, role_allows
from undersigned.delivery.selectors import demand_choices, demand_timelines
from undersigned.delivery.services import response_record
from undersigned.letters.models import Demand
from undersigned.letters.states import ANSWERABLE_STATES
from undersigned.web.manage.forms_accounts import submit
from undersigned.web.manage.forms_delivery import ResponseForm


@login_required
@require_http_methods(["GET", "POST"])
def responses(request: HttpRequest, slug: str) -> HttpResponse:
    user = cast(User, request.user)  # login_required has run
    letter = access_letter(user=user, slug=slug)
    can_record = letter.state in ANSWERABLE_STATES and role_allows(
        access_role(user=user, letter=letter), Role.EDITOR
    )
    choices = demand_choices(letter=letter)
    form = ResponseForm(request.POST if request.method == "POST" else None, demands=choices)
    if request.method == "POST":
        # Viewers, and everyone before delivery, get the same answer as a missing page.
        letter = access_letter(user=user, slug=slug, role=Role.EDITOR)
        if form.is_valid() and can_record:
            data = form.cleaned_data
            demand = Demand.objects.get(letter=letter, pk=data["demand"])
            saved = submit(
                form,
                lambda: response_record(
                    demand=demand,
                    user=user,
                    status=data["status"],
                    happened_on=data["happened_on"],
                    note=data["note"],
                    link=data["link"],
                ),
            )
            if saved is not None:
                messages.success(request, "The answer is recorded.")
                return redirect("delivery_manage:responses", slug=letter.slug)
        elif not can_record:
            form.add_error(None, "Answers are recorded once the letter has been delivered.")
    timelines = demand_timelines(letter=letter)
    context = {
        "letter": letter,
        "demands": [
            (label, timelines.get(position)) for position, (_, label) in enumerate(choices)
        ],
        "form": form,
        "can_record": can_record,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "delivery/responses.html", context, status=status)
