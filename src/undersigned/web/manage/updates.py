"""Organizers write updates to subscribed signers; subscribers leave the list in one click.

Every member of a letter may look at its updates page; owners and editors send.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from undersigned.accounts.models import Role, User
from undersigned.accounts.permissions import (
    NotFound,
    access_letter,
    access_public_log,
    access_role,
    role_allows,
)
from undersigned.delivery.selectors import (
    unsubscribe_signature,
    update_languages,
    updates_overview,
)
from undersigned.delivery.services import update_send, updates_unsubscribe
from undersigned.delivery.services.updates import UPDATE_INTERVAL, when_text
from undersigned.letters.models import LANGUAGES
from undersigned.letters.presentation import direction, letter_title
from undersigned.letters.states import UPDATE_STATES
from undersigned.web.manage.forms_accounts import submit
from undersigned.web.manage.forms_delivery import UpdateForm


@login_required
@require_http_methods(["GET", "POST"])
def updates(request: HttpRequest, slug: str) -> HttpResponse:
    user = cast(User, request.user)  # login_required has run
    letter = access_letter(user=user, slug=slug)
    may_send = role_allows(access_role(user=user, letter=letter), Role.EDITOR)
    form = UpdateForm(
        request.POST if request.method == "POST" else None,
        languages=update_languages(letter=letter),
    )
    if request.method == "POST":
        # Viewers get the same answer as a missing page.
        letter = access_letter(user=user, slug=slug, role=Role.EDITOR)
        if form.is_valid():
            sent = submit(form, lambda: update_send(letter=letter, user=user, texts=form.texts()))
            if sent is not None:
                messages.success(
                    request, "The update is saved; the worker is sending it to every subscriber."
                )
                return redirect("delivery_manage:updates", slug=letter.slug)
    overview = updates_overview(letter=letter)
    context = {
        "letter": letter,
        "form": form,
        "overview": overview,
        "next_at": when_text(overview.next_at) if overview.next_at else "",
        "interval_days": UPDATE_INTERVAL.days,
        "state_allows": letter.state in UPDATE_STATES,
        "may_send": may_send,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "delivery/updates.html", context, status=status)


def _page_language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    return wanted if wanted in LANGUAGES else "en"


# The token in the URL is the authority here, not a session: mail clients send RFC 8058's
# one-click POST with no cookie and no CSRF token, and GET changes nothing (mail scanners open
# links), so exempting this view from CSRF only exempts its POST.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET: a button. POST (the button, or a mail client's one-click): no more updates."""
    letter = access_public_log(slug=slug)
    if request.method == "POST":
        found = updates_unsubscribe(letter=letter, token=token)
    else:
        found = unsubscribe_signature(letter=letter, token=token) is not None
    if not found:
        raise NotFound()
    language = _page_language(request)
    page = "done.html" if request.method == "POST" else "confirm.html"
    template = select_template(
        [f"delivery/unsubscribe/{language}/{page}", f"delivery/unsubscribe/{page}"]
    )
    # A language with no translation of the page gets the English one, marked as English.
    translated = template.template.name.startswith(f"delivery/unsubscribe/{language}/")
    shown = language if translated else "en"
    context = {
        "letter": letter,
        "letter_title": letter_title(letter, language),
        "action": request.get_full_path(),
        "page_language": shown,
        "page_direction": direction(shown),
    }
    return HttpResponse(template.render(context, request))
