"""Public pages: the start page, the letter page and its addenda."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_vary_headers,
)
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from undersigned.accounts.permissions import NotFound, access_public_letter
from undersigned.common.pagecache import cached, has_session, public_answer, public_cache_control
from undersigned.delivery.selectors import public_delivery, public_timelines
from undersigned.letters.markdown import render_markdown
from undersigned.letters.models import LANGUAGES, AddendumKind, Letter
from undersigned.letters.presentation import choose_language, direction
from undersigned.web.public.pages import (
    LetterTitles,
    addendum_filename,
    letter_page,
    letter_titles,
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


# Readers' caches and proxies may keep the page this long, then serve it while they refresh it.
_PAGE_CACHE_CONTROL = public_cache_control(max_age=10, stale=30)


@require_safe
def letter(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The letter page: from the cache for readers without a session, the same bytes for all."""
    if has_session(request):
        # An organizer (or a visitor mid-flow): the page shows who is signed in, so it is theirs.
        found = access_public_letter(slug=slug)
        private = _letter_page(
            request,
            found,
            requested=request.GET.get("lang"),
            accept_language=request.headers.get("Accept-Language", ""),
        )
        add_never_cache_headers(private)
        return private
    # One read of the letter row at most, whichever of the two cache entries is missing.
    rows: list[Letter] = []

    def public_letter() -> Letter:
        if not rows:
            rows.append(access_public_letter(slug=slug))
        return rows[0]

    titles = cached(slug=slug, part="titles", compute=lambda: letter_titles(letter=public_letter()))
    language = choose_language(
        available=titles.available,
        requested=request.GET.get("lang"),
        accept_language=request.headers.get("Accept-Language", ""),
        default=titles.default,
    )
    response = public_answer(
        request,
        slug=slug,
        part=f"page:{language}",
        render=lambda: _letter_page(
            None, public_letter(), requested=language, accept_language="", titles=titles
        ),
        cache_control=_PAGE_CACHE_CONTROL,
    )
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _letter_page(
    request: HttpRequest | None,
    found: Letter,
    *,
    requested: str | None,
    accept_language: str,
    titles: LetterTitles | None = None,
) -> HttpResponse:
    """The page rendered; without a request it is the anonymous reader's (no session, no
    messages, no CSRF token), which the cache may share."""
    page = letter_page(
        letter=found, requested=requested, accept_language=accept_language, titles=titles
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
        response = HttpResponse(render_to_string("letters/letter.html", context, request))
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
