"""The log as C2SP tlog-tiles (checkpoint, tiles, entry bundles), its key, and its page."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.accounts.permissions import access_public_log
from undersigned.common.pagecache import public_answer
from undersigned.letters.models import Letter
from undersigned.letters.presentation import direction, title_in
from undersigned.publiclog import selectors
from undersigned.publiclog.models import LogState
from undersigned.signing.selectors import receipt_entry_for_secret
from undersigned.web.public.forms_log import ReceiptForm

_IMMUTABLE = "public, max-age=31536000, immutable"
_SHORT = "public, max-age=60"


def _static(body: bytes | str, content_type: str, cache: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = cache
    # Anyone may check the log, including from a page of their own.
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _page_context(letter: Letter) -> dict[str, Any]:
    """What the log page shows: the letter's title, the log's head and how to check it."""
    titles = dict(letter.texts.values_list("language", "title"))
    language = (
        letter.default_language
        if letter.default_language in titles
        else min(titles, default=letter.default_language)
    )
    return {
        "letter": letter,
        "title": title_in(
            titles, language=language, default=letter.default_language, slug=letter.slug
        ),
        "title_language": language,
        "title_direction": direction(language),
        "log": selectors.log_summary(letter=letter),
        "log_url": selectors.log_url(slug=letter.slug),
    }


def _state(slug: str) -> LogState:
    state = selectors.log_state(letter_id=access_public_log(slug=slug).pk)
    if state is None:
        raise Http404("This letter has no log yet.")
    return state


@require_safe
def checkpoint(request: HttpRequest, slug: str) -> HttpResponseBase:
    """From the cache until the sequencer publishes the next one; `no-cache` still, so that
    clients and proxies ask every time, and the ETag answers them with a 304."""
    return public_answer(
        request,
        slug=slug,
        part="checkpoint",
        render=lambda: _static(_state(slug).checkpoint, "text/plain; charset=utf-8", "no-cache"),
        cache_control="no-cache",
    )


@require_safe
def vkey(request: HttpRequest, slug: str) -> HttpResponse:
    return _static(_state(slug).vkey + "\n", "text/plain; charset=utf-8", _SHORT)


@require_safe
def tile(request: HttpRequest, slug: str, path: str) -> HttpResponse:
    letter = access_public_log(slug=slug)
    ref = selectors.parse_tile_path(f"tile/{path}")
    data = None if ref is None else selectors.log_tile(letter_id=letter.pk, ref=ref)
    if ref is None or data is None:
        raise Http404("No such tile.")
    return _static(data, "application/octet-stream", _SHORT if ref.is_partial else _IMMUTABLE)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_public_log(slug=slug)
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    result = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            pasted = form.cleaned_data["receipt"]
            entry = pasted.entry
            if entry is None:
                entry = receipt_entry_for_secret(letter=letter, secret=pasted.secret)
            result = selectors.receipt_check(
                letter=letter,
                entry=entry,
                leaf_hash_hex=pasted.leaf_hash,
                secret=pasted.secret,
            )
        else:
            status = 400
    context = {**_page_context(letter), "form": form, "result": result}
    return render(request, "publiclog/log.html", context, status=status)
