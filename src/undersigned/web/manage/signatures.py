"""Organizer pages for signatures: the table, export, flags, invalidation and invite codes.

Viewers may look; editors and owners may act. Nothing here ever shows a mailbox or its hash,
and every personal field goes through tiers.shown() for the organizer audience.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from undersigned.accounts.models import Role, User
from undersigned.accounts.permissions import access_letter, access_role, role_allows
from undersigned.letters.models import Letter
from undersigned.signing import selectors, services, tiers
from undersigned.signing.errors import SigningError
from undersigned.signing.export import csv_lines
from undersigned.web.manage.forms_signatures import InvalidateForm, InviteBatchForm

_MAX_ID = 2**63 - 1


def _page_number(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


def _user(request: HttpRequest) -> User:
    # access_letter has already let only an active organizer through.
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _context(request: HttpRequest, letter: Letter, **extra: Any) -> dict[str, Any]:
    role = access_role(user=request.user, letter=letter)
    return {
        "letter": letter,
        "can_edit": role_allows(role, Role.EDITOR),
        "counts": selectors.letter_counts(letter_id=letter.pk),
        **extra,
    }


@never_cache
def signature_list(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=request.user, slug=slug, role=Role.VIEWER)
    tier = request.GET.get("tier", "")
    context = _context(
        request,
        letter,
        tier=tier if tier in tiers.RULES else "",
        tiers=tiers.RULES.values(),
        page=selectors.organizer_signatures(
            letter_id=letter.pk, page=_page_number(request), tier=tier
        ),
        breakdown=selectors.department_breakdown(letter_id=letter.pk),
        invalidations=selectors.letter_invalidations(letter_id=letter.pk),
    )
    return render(request, "signing/manage/list.html", context)


@never_cache
def export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    letter = access_letter(user=request.user, slug=slug, role=Role.EDITOR)
    rows = selectors.export_rows(letter_id=letter.pk)
    response = StreamingHttpResponse(
        csv_lines(selectors.EXPORT_COLUMNS, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{letter.slug}-signatories.csv"'
    return response


@require_POST
def flag(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = access_letter(user=request.user, slug=slug, role=Role.EDITOR)
    flagged = request.POST.get("flagged") == "1"
    try:
        if pk > _MAX_ID:  # a number the database cannot even compare with its ids
            raise SigningError(404, "not_found", "There is no such signature on this letter.")
        services.signature_flag(letter=letter, signature_id=pk, flagged=flagged)
    except SigningError as exc:
        messages.error(request, exc.message)
    return redirect("signing_manage:list", slug=letter.slug)


@never_cache
@require_http_methods(["GET", "POST"])
def invalidate(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=request.user, slug=slug, role=Role.EDITOR)
    form = InvalidateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.signatures_invalidate(
                letter=letter,
                rule=form.rule,
                reason=form.cleaned_data["reason"],
                user=_user(request),
            )
        except SigningError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{done.count} signatures were invalidated.")
            return redirect("signing_manage:list", slug=letter.slug)
    status = 400 if form.is_bound else 200
    context = _context(request, letter, form=form)
    return render(request, "signing/manage/invalidate.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def invites(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the batches so far. POST: a new batch, shown once on a printable sheet."""
    letter = access_letter(user=request.user, slug=slug, role=Role.EDITOR)
    form = InviteBatchForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.invite_batch_create(
                letter=letter, size=form.cleaned_data["size"], label=form.cleaned_data["label"]
            )
        except SigningError as exc:
            form.add_error(None, exc.message)
        else:
            sign_url = settings.SITE_URL + reverse("signing:invite", kwargs={"slug": letter.slug})
            context = {"letter": letter, "codes": codes, "sign_url": sign_url}
            return render(request, "signing/manage/sheet.html", context)
    batches = selectors.invite_batches(letter_id=letter.pk)
    context = _context(request, letter, form=form, batches=batches)
    return render(
        request, "signing/manage/invites.html", context, status=400 if form.is_bound else 200
    )
