"""Public pages: the start page, the letter page and its addenda."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from undersigned.accounts.permissions import NotFound, access_public_letter
from undersigned.delivery.selectors import public_delivery, public_timelines
from undersigned.letters.markdown import render_markdown
from undersigned.letters.models import LANGUAGES, AddendumKind
from undersigned.letters.presentation import direction
from undersigned.web.public.pages import (
    addendum_filename,
    letter_page,
    public_addendum,
    public_letter_list,
)
from undersigned.web.public.versions import letter_versions, public_version

_CONTENT_TYPES: dict[str, str] = {
    AddendumKind.PDF: "application/pdf",
    AddendumKind.MARKDOWN: "text/markdown; charset=utf-8",
}


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    letters = public_letter_list()
    with translation.override(settings.LANGUAGE_CODE):
        return render(request, "letters/home.html", {"letters": letters})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def letter(request: HttpRequest, slug: str) -> HttpResponse:
    found = access_public_letter(slug=slug)
    page = letter_page(
        letter=found,
        requested=request.GET.get("lang"),
        accept_language=request.headers.get("Accept-Language", ""),
    )
    context = {
        "page": page,
        "page_language": page.language,
        "page_direction": page.direction,
        "site_url": settings.SITE_URL,
        "page_url": f"{settings.SITE_URL}{page.path}",
        "delivery": public_delivery(letter=found),
    }
    if found.version > 1:
        # Only amended letters list their versions (two more queries).
        context["versions"] = letter_versions(letter=found)
    timelines = public_timelines(letter=found)
    if timelines:
        # Demands are numbered 0..n-1 in order, as the page lists them.
        context["answers"] = [(d, timelines.get(n)) for n, d in enumerate(page.demands)]
    # The interface is English until it has translations: its dates and sizes must match its
    # words, whatever language the browser asked for.
    with translation.override(settings.LANGUAGE_CODE):
        response = render(request, "letters/letter.html", context)
    response["Content-Language"] = page.language
    patch_vary_headers(response, ["Accept-Language"])
    return response


@require_safe
def addendum(request: HttpRequest, slug: str, addendum_id: int, filename: str) -> HttpResponseBase:
    found = access_public_letter(slug=slug)
    document = public_addendum(letter=found, addendum_id=addendum_id)
    etag = f'"{document.sha256}"'
    content_type = _CONTENT_TYPES.get(document.kind, "application/octet-stream")
    response = HttpResponse(bytes(document.content), content_type=content_type)
    name = addendum_filename(addendum_id=document.pk, title=document.title, kind=document.kind)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser is talked into rendering the file, it runs with no origin and no scripts.
    response["Content-Security-Policy"] = "sandbox"
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    return get_conditional_response(request, etag=etag, response=response) or response


@require_safe
def version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The text of one version as it was signed, so signers of an earlier one can reread it."""
    found = access_public_letter(slug=slug)
    shown = public_version(letter=found, number=number, language=request.GET.get("lang"))
    if shown is None:
        raise NotFound()
    context = {
        "letter": found,
        "shown": shown,
        "body_html": render_markdown(shown.body),
        "direction": direction(shown.language),
        "language_names": [(code, LANGUAGES.get(code, code)) for code in shown.languages],
        "page_language": shown.language,
        "page_direction": direction(shown.language),
    }
    with translation.override(settings.LANGUAGE_CODE):
        response = render(request, "letters/version.html", context)
    response["Content-Language"] = shown.language
    return response
